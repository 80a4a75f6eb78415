import { usePostgresBackend } from '../retrieval/postgres-backend.ts';
import { describePostgres } from '../store/postgres-helpers.ts';
import { postgresAnswerBackend } from './answer-backend.ts';
import { extractiveRankingSuite } from './extractive-ranking.case.ts';

describePostgres('postgres', () => {
  const backend = usePostgresBackend('cairn_extractive_ranking');
  extractiveRankingSuite('extractive-ranking on postgres', () => postgresAnswerBackend(backend));
});
