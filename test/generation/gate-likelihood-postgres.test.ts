import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { gateLikelihoodSuite } from './gate-likelihood.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_gate_likelihood');
  gateLikelihoodSuite('gate-likelihood on postgres', () => postgresAnswerBackend(backend));
});
