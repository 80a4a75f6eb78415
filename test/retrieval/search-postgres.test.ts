import { expect, it } from 'vitest';
import { createLexicalIndexCache, createSqliteRetrievers, search } from '../../retrieval/index.ts';
import { createSqliteContract } from '../../store/index.ts';
import { config, createExactSource, createTestStore } from './helpers.ts';
import { usePostgresBackend } from './postgres-backend.ts';
import { describePostgres } from './postgres-fixtures.ts';
import { embedder, searchSuite, seed } from './search.case.ts';
import { comparable, PARITY_REQUESTS } from './search-parity.ts';

describePostgres('search on PostgreSQL', () => {
  const backend = usePostgresBackend('cairn_search', [{ id: embedder.id, dimensions: 64 }]);
  searchSuite('postgres', () => ({ kind: 'postgres', open: () => backend.open() }));

  it('gives the same results as SQLite: passages, offsets, every stage score, notes and what ran', async () => {
    const sqlite = createTestStore();
    const contract = createSqliteContract(sqlite);
    const lexical = createLexicalIndexCache();
    const retrievers = createSqliteRetrievers({ store: sqlite, ann: createExactSource(sqlite), lexical });
    const pg = await backend.open();
    await seed(contract, true);
    await seed(pg.store, true);
    const both = { config, embedder, reranker: null };
    for (const request of PARITY_REQUESTS) {
      const full = { collection: 'kb', query: 'cats', rerank: false, ...request };
      const want = comparable(await search({ ...both, store: contract, retrievers }, full));
      const got = comparable(await search({ ...both, store: pg.store, retrievers: pg.retrievers }, full));
      expect([full.query, got]).toEqual([full.query, want]);
    }
    sqlite.close();
  });
});
