import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { gatedStreamSuite } from './gated-stream.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_gated_stream');
  gatedStreamSuite('gated-stream on postgres', () => postgresAnswerBackend(backend));
});
