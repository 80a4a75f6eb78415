import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { chatSuite } from './chat.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_chat');
  chatSuite('chat on postgres', () => postgresAnswerBackend(backend));
});
