import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { badInputSuite } from './bad-input.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_bad_input');
  badInputSuite('bad-input on postgres', () => postgresAnswerBackend(backend));
});
