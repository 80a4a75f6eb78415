import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../models/index.ts';
import { type SearchRequest, search } from '../../retrieval/index.ts';
import { addDocumentTo, config } from './helpers.ts';
import type { SearchBackend, SearchStore } from './search.case.ts';

export const embedder = createHashEmbedder(32);

export const DOCS = [
  { source: 'rocks.txt', title: 'Rocks', chunks: ['Granite is an igneous rock.', 'Basalt forms from lava.', 'Chalk is soft.'] },
  { source: 'trails.txt', title: 'Trails', chunks: ['Cairns mark trails.'] },
];

export const request: SearchRequest = { collection: 'geo', query: 'granite basalt trails', mode: 'hybrid', k: 3, rerank: false };

/** Writes DOCS, with vectors, into collection `geo`. */
export async function seedGeo(opened: SearchStore): Promise<void> {
  for (const doc of DOCS)
    await addDocumentTo(opened.store, 'geo', doc, { modelId: embedder.id, vectors: await embedder.embed(doc.chunks, 'passage') });
}

/** The Retrievers seam of one backend, with exact values: run once per backend. */
export function retrieversSuite(name: string, backend: () => SearchBackend): void {
  describe(`the Retrievers seam: ${name}`, () => {
    let opened: SearchStore;
    beforeEach(async () => {
      opened = await backend().open();
      await seedGeo(opened);
    });
    afterEach(() => opened.close());

    it('builds passages from its passage rows', async () => {
      const result = await search(
        { store: opened.store, retrievers: opened.retrievers, config, embedder, reranker: null },
        request,
      );
      expect(result.passages.map((p) => [p.source, p.text, p.contextStart, p.contextEnd])).toEqual([
        ['rocks.txt', 'Granite is an igneous rock. Basalt forms from lava. Chalk is soft.', 0, 66],
        ['trails.txt', 'Cairns mark trails.', 0, 19],
      ]);
    });

    it('says when the collection has no vectors of the model, and when the query has no searchable words', async () => {
      const retrievers = opened.retrievers;
      expect(await retrievers.dense('geo', 'other-model')).toBeNull();
      const dense = await retrievers.dense('geo', embedder.id);
      const [vector] = await embedder.embed(['Cairns mark trails.'], 'query');
      const hits = await dense?.search({
        collectionId: 'geo',
        allowed: null,
        modelId: embedder.id,
        vector: vector as Float32Array,
        k: 1,
      });
      expect(hits?.map((h) => h.id)).toEqual([4]);
      expect(await retrievers.lexical({ collectionId: 'geo', allowed: null, query: 'the of and', k: 5 })).toEqual({
        hits: [],
        noTerms: true,
      });
    });
  });
}
