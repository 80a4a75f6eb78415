import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { createHashEmbedder } from '../../models/index.ts';
import { type Retrievers, type SearchDeps, type SearchRequest, search } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { addDocumentTo, config, createCountingReranker } from './helpers.ts';

export const embedder = createHashEmbedder(64);

/** An empty store of one backend and the retrievers that search it. */
export interface SearchStore {
  store: StoreContract;
  retrievers: Retrievers;
  close(): Promise<void>;
}

/** How the suite gets an empty store of one backend before each test. */
export interface SearchBackend {
  kind: 'sqlite' | 'postgres';
  open(): Promise<SearchStore>;
}

export const CORPUS = [
  {
    source: 'animals.txt',
    title: 'Animals',
    chunks: ['Cats purr when they are content.', 'Dogs bark at the mailman.', 'Parrots can mimic speech.'],
  },
  { source: 'space.txt', title: 'Space', chunks: ['The Moon orbits the Earth.', 'Mars has two small moons.'] },
  { source: 'zh.txt', title: '北京', chunks: ['北京大学是中国著名的大学。', '长城位于中国北方。'] },
];

export async function seed(store: StoreContract, withVectors: boolean): Promise<void> {
  for (const doc of CORPUS) {
    const vectors = withVectors ? { modelId: embedder.id, vectors: await embedder.embed(doc.chunks, 'passage') } : undefined;
    await addDocumentTo(store, 'kb', doc, vectors);
  }
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    return isCairnError(error) ? error.code : String(error);
  }
}

/** search() end to end over a real store, with exact values: run once per backend. */
export function searchSuite(name: string, backend: () => SearchBackend): void {
  describe(`search: ${name}`, () => {
    let opened: SearchStore;
    let store: StoreContract;
    let deps: SearchDeps;
    const run = (request: Partial<SearchRequest>) => search(deps, { collection: 'kb', query: 'cats', ...request });

    beforeEach(async () => {
      opened = await backend().open();
      store = opened.store;
      await seed(store, true);
      deps = { store, retrievers: opened.retrievers, config, embedder, reranker: null };
    });
    afterEach(() => opened.close());

    it('finds passages by BM25 with offsets, document fields and scores', async () => {
      const result = await run({ query: 'Do cats purr?', mode: 'bm25', k: 2, contextWindow: 0, rerank: false });
      expect(result.ran).toEqual({ bm25: true, dense: false, fusion: null, rerank: false });
      expect(result.notes).toEqual([]);
      const [top] = result.passages;
      expect(top).toMatchObject({
        source: 'animals.txt',
        title: 'Animals',
        text: 'Cats purr when they are content.',
        start: 0,
        end: 32,
      });
      expect(top?.contextStart).toBe(0);
      expect(top?.contextEnd).toBe(32);
      expect(top?.scores.bm25).toBeGreaterThan(0);
      expect(top?.scores.dense).toBeUndefined();
      expect(Object.keys(result.timings).sort()).toEqual(['context', 'lexical', 'retrieve', 'total']);
    });

    it('runs hybrid with convex fusion by default, every stage score on each passage', async () => {
      const result = await run({ query: 'Mars moons', k: 3, rerank: false });
      expect(result.ran).toEqual({ bm25: true, dense: true, fusion: 'convex', rerank: false });
      const [top] = result.passages;
      expect(top?.text).toContain('Mars has two small moons.');
      // Best in both lists: normalized 1 on each side.
      expect(top?.scores.fused).toBe(1);
      expect(top?.scores.bm25).toBeGreaterThan(0);
      expect(top?.scores.dense).toBeGreaterThan(0);
      expect(result.timings.embed).toBeGreaterThanOrEqual(0);
      expect(result.timings.fusion).toBeGreaterThanOrEqual(0);
    });

    it('fuses by reciprocal rank on request', async () => {
      const result = await run({ query: 'Mars moons', k: 1, rerank: false, fusion: 'rrf' });
      expect(result.ran.fusion).toBe('rrf');
      expect(result.passages[0]?.scores.fused).toBeCloseTo(2 / 61, 10);
    });

    it('runs dense only in dense mode', async () => {
      const result = await run({ query: 'parrots mimic speech', mode: 'dense', k: 1, rerank: false, contextWindow: 0 });
      expect(result.ran).toEqual({ bm25: false, dense: true, fusion: null, rerank: false });
      expect(result.passages[0]?.text).toBe('Parrots can mimic speech.');
    });

    it('merges neighbouring chunks into a context window and keeps the hit offsets', async () => {
      const result = await run({ query: 'dogs bark mailman', mode: 'bm25', k: 1, contextWindow: 1, rerank: false });
      const [top] = result.passages;
      expect(top?.text).toBe('Cats purr when they are content. Dogs bark at the mailman. Parrots can mimic speech.');
      expect([top?.start, top?.end, top?.contextStart, top?.contextEnd]).toEqual([33, 58, 0, 84]);
    });

    it('finds Chinese passages by their words', async () => {
      const result = await run({ query: '长城在哪里', mode: 'bm25', k: 1, contextWindow: 0, rerank: false });
      expect(result.passages[0]?.text).toBe('长城位于中国北方。');
    });

    it('reranks the fused top-N with the reranker', async () => {
      const reranker = createCountingReranker('moon');
      deps.reranker = reranker;
      const result = await run({ query: 'moons Earth Mars', k: 2, rerank: true, contextWindow: 0 });
      expect(result.ran.rerank).toBe(true);
      expect(reranker.calls).toBe(1);
      expect(result.passages[0]?.text).toBe('Mars has two small moons.');
      expect(result.passages[0]?.scores.rerank).toBe(1);
      expect(result.timings.rerank).toBeGreaterThanOrEqual(0);
    });

    it('says so when rerank is asked for without a reranker', async () => {
      const result = await run({ mode: 'bm25', rerank: true });
      expect(result.ran.rerank).toBe(false);
      expect(result.notes).toEqual(['no reranker available: results not reranked']);
    });

    it('applies filters inside each retriever so k results come back', async () => {
      for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
        const result = await run({ query: 'the', mode, k: 2, rerank: false, contextWindow: 0, filter: { source: 'space.txt' } });
        expect(result.passages.map((p) => p.source)).toEqual(mode === 'bm25' ? [] : ['space.txt', 'space.txt']);
      }
      const filtered = await run({
        query: 'moon mars cats dogs',
        mode: 'bm25',
        k: 2,
        contextWindow: 0,
        filter: { source: 'space.txt' },
      });
      expect(filtered.passages.map((p) => p.source)).toEqual(['space.txt', 'space.txt']);
    });

    it('answers nothing, with a note, when no chunk matches the filter', async () => {
      const result = await run({ filter: { tags: ['missing'] } });
      expect(result.passages).toEqual([]);
      expect(result.ran).toEqual({ bm25: false, dense: false, fusion: null, rerank: false });
      expect(result.notes).toEqual(['no chunks match the filter']);
    });

    it('rejects an unknown filter field with VALIDATION', async () => {
      expect(await errorCode(run({ filter: { colour: 'red' } as never }))).toBe('VALIDATION');
    });

    it('rejects an empty query and a bad k', async () => {
      expect(await errorCode(run({ query: '' }))).toBe('VALIDATION');
      expect(await errorCode(run({ query: '   \n' }))).toBe('VALIDATION');
      expect(await errorCode(run({ k: 0 }))).toBe('VALIDATION');
      expect(await errorCode(run({ k: 1.5 }))).toBe('VALIDATION');
      expect(await errorCode(run({ mode: 'fuzzy' as never }))).toBe('VALIDATION');
    });

    it('raises COLLECTION_NOT_FOUND for an unknown collection', async () => {
      expect(await errorCode(run({ collection: 'nope' }))).toBe('COLLECTION_NOT_FOUND');
    });

    it('finds what was just written, replaced and removed, by BM25 and dense, and nothing of another collection', async () => {
      const texts = (mode: 'bm25' | 'dense', query: string) =>
        run({ query, mode, k: 1, rerank: false, contextWindow: 0 }).then((r) => r.passages.map((p) => p.text));
      const write = async (collection: string, source: string, chunk: string) =>
        addDocumentTo(
          store,
          collection,
          { source, chunks: [chunk] },
          { modelId: embedder.id, vectors: await embedder.embed([chunk], 'passage') },
        );
      // The nearest passage to the okapi sentence before it is written is where dense search goes back to once it is removed.
      const nearestBefore = await texts('dense', 'An okapi is shy.');
      expect(nearestBefore).toHaveLength(1);
      expect(await texts('bm25', 'zebra')).toEqual([]);
      await write('kb', 'zoo.txt', 'A zebra has stripes.');
      expect([await texts('bm25', 'zebra'), await texts('dense', 'A zebra has stripes.')]).toEqual([
        ['A zebra has stripes.'],
        ['A zebra has stripes.'],
      ]);
      await write('kb', 'zoo.txt', 'An okapi is shy.');
      expect(await texts('bm25', 'zebra')).toEqual([]);
      expect([await texts('bm25', 'okapi'), await texts('dense', 'An okapi is shy.')]).toEqual([
        ['An okapi is shy.'],
        ['An okapi is shy.'],
      ]);
      await store.documents.remove('kb:zoo.txt');
      expect([await texts('bm25', 'okapi'), await texts('dense', 'An okapi is shy.')]).toEqual([[], nearestBefore]);
      await write('other', 'x.txt', 'zebra');
      expect(await texts('bm25', 'zebra')).toEqual([]);
    });

    it('truncates a 10,000-character query with a note', async () => {
      const query = `cats ${'purr '.repeat(2000)}`;
      expect(query.length).toBeGreaterThanOrEqual(10_000);
      const result = await run({ query, rerank: false });
      expect(result.notes).toEqual([`query truncated to ${config.retrieval.maxQueryChars} characters`]);
      expect(result.passages[0]?.text).toContain('Cats purr');
    });

    it('searches punctuation, FTS5 operators and unbalanced quotes as words, never an error', async () => {
      const punct = await run({ query: '?!"(*)-', mode: 'bm25', rerank: false });
      expect(punct.passages).toEqual([]);
      expect(punct.notes).toEqual(['the query has no searchable words for BM25']);
      for (const query of ['cats AND dogs', 'cats NEAR(dogs', '"cats', 'cats* -dogs OR', 'NOT', 'title:cats ^ {x}']) {
        const result = await run({ query, mode: 'bm25', rerank: false });
        expect(Array.isArray(result.passages)).toBe(true);
      }
      const near = await run({ query: 'Dogs NEAR "mailman', mode: 'bm25', k: 1, rerank: false, contextWindow: 0 });
      expect(near.passages[0]?.text).toBe('Dogs bark at the mailman.');
    });

    it('falls back to BM25 with a note when the collection has no vectors or no embedder', async () => {
      await addDocumentTo(store, 'plain', { source: 'p.txt', chunks: ['cats and more cats'] });
      const noVectors = await search(deps, { collection: 'plain', query: 'cats', mode: 'hybrid', rerank: false });
      expect(noVectors.ran).toEqual({ bm25: true, dense: false, fusion: null, rerank: false });
      expect(noVectors.notes).toEqual(['no vectors for hash:64 in this collection: BM25 only']);
      expect(noVectors.passages).toHaveLength(1);
      const dense = await search({ ...deps, embedder: null }, { collection: 'kb', query: 'cats', mode: 'dense', rerank: false });
      expect(dense.ran.bm25).toBe(true);
      expect(dense.notes).toEqual(['no embedder available: BM25 only']);
      const neither = await search({ ...deps, embedder: null }, { collection: 'plain', query: 'cats', rerank: false });
      expect(neither.notes).toEqual(['no vectors in this collection: BM25 only']);
    });

    it('goes on with BM25 and a note when the embedder fails', async () => {
      const broken = { ...embedder, embed: async () => Promise.reject(new Error('server down')) };
      for (const mode of ['dense', 'hybrid'] as const) {
        const result = await search(
          { ...deps, embedder: broken },
          { collection: 'kb', query: 'cats', mode, rerank: false, contextWindow: 0 },
        );
        expect(result.ran).toEqual({ bm25: true, dense: false, fusion: null, rerank: false });
        expect(result.notes).toEqual(['dense retrieval failed (INTERNAL: server down): BM25 only']);
        expect(result.passages[0]?.text).toBe('Cats purr when they are content.');
      }
    });
  });
}
