import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLexicalIndexCache,
  createSqliteRetrievers,
  type SearchDeps,
  type SearchRequest,
  search,
  sqliteSearchDeps,
} from '../../retrieval/index.ts';
import { createSqliteContract, type Store } from '../../store/index.ts';
import { addDocument, config, createExactSource, createTestStore } from './helpers.ts';
import { embedder, searchSuite, seed } from './search.case.ts';

searchSuite('sqlite', () => ({
  kind: 'sqlite',
  open: async () => {
    const store = createTestStore();
    return {
      store: createSqliteContract(store),
      retrievers: createSqliteRetrievers({ store, ann: createExactSource(store), lexical: createLexicalIndexCache() }),
      close: async () => store.close(),
    };
  },
}));

// SQLite only: the in-memory BM25 index and its rebuild/catch-up counters exist only on the embedded backend.
describe('search: the embedded BM25 index', () => {
  let store: Store;
  let deps: SearchDeps;
  const run = (request: Partial<SearchRequest>) => search(deps, { collection: 'kb', query: 'cats', ...request });

  beforeEach(async () => {
    store = createTestStore();
    await seed(createSqliteContract(store), true);
    const stores = sqliteSearchDeps({ store, ann: createExactSource(store), lexical: createLexicalIndexCache() });
    deps = { ...stores, config, embedder, reranker: null };
  });
  afterEach(() => store.close());

  it('keeps the in-memory index fresh as documents are added, replaced and removed', async () => {
    // maxDrift 0 rebuilds on every change; the default catches up in place. Both must answer alike.
    for (const [maxDrift, builds, catchUps] of [
      [0, 4, 0],
      [1, 1, 3],
    ] as const) {
      store.documents.remove('kb:zoo.txt');
      const lexical = createLexicalIndexCache({ maxDrift });
      deps.retrievers = createSqliteRetrievers({ store, ann: createExactSource(store), lexical });
      const bm25 = (query: string) =>
        run({ query, mode: 'bm25', rerank: false, contextWindow: 0 }).then((r) => r.passages.map((p) => p.text));
      expect(await bm25('zebra')).toEqual([]);
      expect(await bm25('cats')).toHaveLength(1);
      addDocument(store, 'kb', { source: 'zoo.txt', chunks: ['A zebra has stripes.'] });
      expect(await bm25('zebra')).toEqual(['A zebra has stripes.']);
      addDocument(store, 'kb', { source: 'zoo.txt', chunks: ['An okapi is shy.'] });
      expect(await bm25('zebra')).toEqual([]);
      expect(await bm25('okapi')).toEqual(['An okapi is shy.']);
      store.documents.remove('kb:zoo.txt');
      expect(await bm25('okapi')).toEqual([]);
      // Writes to another collection leave this one alone.
      addDocument(store, 'other', { source: `x${maxDrift}.txt`, chunks: ['zebra'] });
      expect(await bm25('okapi')).toEqual([]);
      expect([lexical.builds, lexical.catchUps]).toEqual([builds, catchUps]);
    }
  });
});
