import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  contractPassageSource,
  createLexicalIndexCache,
  createSqliteRetrievers,
  type LexicalQuery,
  type Retrievers,
  search,
} from '../../retrieval/index.ts';
import { createSqliteContract, type Store } from '../../store/index.ts';
import { config, createExactSource, createTestStore } from './helpers.ts';
import { embedder, request, retrieversSuite, seedGeo } from './retrievers.case.ts';

const openSqlite = async () => {
  const store = createTestStore();
  return {
    store: createSqliteContract(store),
    retrievers: createSqliteRetrievers({ store, ann: createExactSource(store), lexical: createLexicalIndexCache() }),
    close: async () => store.close(),
  };
};

retrieversSuite('sqlite', () => ({ kind: 'sqlite', open: openSqlite }));

// SQLite only: the row cache and the up-front rowid set are the embedded backend's.
describe('the Retrievers seam: the embedded row cache and resolved rowid sets', () => {
  let store: Store;
  let sqlite: Retrievers;

  beforeEach(async () => {
    store = createTestStore();
    sqlite = createSqliteRetrievers({ store, ann: createExactSource(store), lexical: createLexicalIndexCache() });
    await seedGeo({ store: createSqliteContract(store), retrievers: sqlite, close: async () => undefined });
  });
  afterEach(() => store.close());

  const run = (retrievers: Retrievers) =>
    search({ store: createSqliteContract(store), retrievers, config, embedder, reranker: null }, request);

  it('builds the same passages from rows read through the store contract as from the row cache', async () => {
    const cached = await run(sqlite);
    const throughContract = await run({ ...sqlite, ...contractPassageSource(createSqliteContract(store)) });
    expect(cached.passages.map((p) => [p.source, p.text, p.contextStart, p.contextEnd])).toEqual([
      ['rocks.txt', 'Granite is an igneous rock. Basalt forms from lava. Chalk is soft.', 0, 66],
      ['trails.txt', 'Cairns mark trails.', 0, 19],
    ]);
    expect(throughContract.passages).toEqual(cached.passages);
  });

  it('hands a database backend the filter and the SQLite side the resolved rowid set', async () => {
    const seen: LexicalQuery[] = [];
    const recording: Retrievers = {
      ...sqlite,
      resolveFilter: async () => null,
      lexical: async (q) => {
        seen.push(q);
        return sqlite.lexical(q);
      },
    };
    await run(recording);
    await search(
      { store: createSqliteContract(store), retrievers: recording, config, embedder: null, reranker: null },
      { ...request, mode: 'bm25', filter: { documentIds: ['geo:trails.txt'] } },
    );
    expect(seen.map((q) => [q.collectionId, q.query, q.filter ?? null, q.allowed])).toEqual([
      ['geo', 'granite basalt trails', null, null],
      ['geo', 'granite basalt trails', { documentIds: ['geo:trails.txt'] }, null],
    ]);
    const allowed = await sqlite.resolveFilter('geo', { documentIds: ['geo:trails.txt'] });
    expect([...(allowed ?? [])]).toEqual([4]);
  });
});
