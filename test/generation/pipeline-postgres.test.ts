import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { pipelineSuite } from './pipeline.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_pipeline');
  pipelineSuite('pipeline on postgres', () => postgresAnswerBackend(backend));
});
