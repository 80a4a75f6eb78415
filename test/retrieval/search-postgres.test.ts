import { usePostgresBackend } from './postgres-backend.ts';
import { describePostgres } from './postgres-fixtures.ts';
import { embedder, searchSuite } from './search.case.ts';

describePostgres('search on PostgreSQL', () => {
  const backend = usePostgresBackend('cairn_search', [{ id: embedder.id, dimensions: 64 }]);
  searchSuite('postgres', () => ({ kind: 'postgres', open: () => backend.open() }));
});
