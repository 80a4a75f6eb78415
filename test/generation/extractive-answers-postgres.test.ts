import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { extractiveAnswersSuite } from './extractive-answers.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_extractive_answers');
  extractiveAnswersSuite('extractive-answers on postgres', () => postgresAnswerBackend(backend));
});
