import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { citationsSuite } from './pipeline-citations.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_pipeline_citations');
  citationsSuite('pipeline-citations on postgres', () => postgresAnswerBackend(backend));
});
