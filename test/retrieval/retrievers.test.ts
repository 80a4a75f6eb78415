import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../models/index.ts';
import {
  contractPassageSource,
  createLexicalIndexCache,
  createSqliteRetrievers,
  type LexicalQuery,
  type Retrievers,
  type SearchRequest,
  search,
} from '../../retrieval/index.ts';
import { createSqliteContract, type Store } from '../../store/index.ts';
import { addDocument, config, createExactSource, createTestStore } from './helpers.ts';

const embedder = createHashEmbedder(32);

const DOCS = [
  { source: 'rocks.txt', title: 'Rocks', chunks: ['Granite is an igneous rock.', 'Basalt forms from lava.', 'Chalk is soft.'] },
  { source: 'trails.txt', title: 'Trails', chunks: ['Cairns mark trails.'] },
];

describe('the Retrievers seam', () => {
  let store: Store;
  let sqlite: Retrievers;
  const request: SearchRequest = { collection: 'geo', query: 'granite basalt trails', mode: 'hybrid', k: 3, rerank: false };

  beforeEach(async () => {
    store = createTestStore();
    for (const doc of DOCS)
      addDocument(store, 'geo', doc, { modelId: embedder.id, vectors: await embedder.embed(doc.chunks, 'passage') });
    sqlite = createSqliteRetrievers({ store, ann: createExactSource(store), lexical: createLexicalIndexCache() });
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

  it('says when the collection has no vectors of the model, and when the query has no searchable words', async () => {
    expect(await sqlite.dense('geo', 'other-model')).toBeNull();
    const dense = await sqlite.dense('geo', embedder.id);
    const [vector] = await embedder.embed(['Cairns mark trails.'], 'query');
    const hits = await dense?.search({
      collectionId: 'geo',
      allowed: null,
      modelId: embedder.id,
      vector: vector as Float32Array,
      k: 1,
    });
    expect(hits?.map((h) => h.id)).toEqual([4]);
    expect(await sqlite.lexical({ collectionId: 'geo', allowed: null, query: 'the of and', k: 5 })).toEqual({
      hits: [],
      noTerms: true,
    });
  });
});
