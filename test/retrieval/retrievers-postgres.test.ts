import { usePostgresBackend } from './postgres-backend.ts';
import { describePostgres } from './postgres-fixtures.ts';
import { embedder, retrieversSuite } from './retrievers.case.ts';

describePostgres('the Retrievers seam on PostgreSQL', () => {
  const backend = usePostgresBackend('cairn_retrievers', [{ id: embedder.id, dimensions: 32 }]);
  retrieversSuite('postgres', () => ({ kind: 'postgres', open: () => backend.open() }));
});
