import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { promptInjectionSuite } from './prompt-injection.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_prompt_injection');
  promptInjectionSuite('prompt-injection on postgres', () => postgresAnswerBackend(backend));
});
