import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { gateUngradedSuite } from './gate-ungraded.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_gate_ungraded');
  gateUngradedSuite('gate-ungraded on postgres', () => postgresAnswerBackend(backend));
});
