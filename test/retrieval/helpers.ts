import { parseConfig } from '../../core/index.ts';
import { createFlatIndex, type VectorIndex } from '../../indexer/ann/index.ts';
import type { Embedder, Reranker } from '../../models/index.ts';
import type { VectorIndexSource } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { type NewChunk, openStore, type Store } from '../../store/index.ts';

export const config = parseConfig({});

export function createTestStore(): Store {
  return openStore({ file: ':memory:' });
}

export interface TestDoc {
  source: string;
  title?: string;
  chunks: string[];
  headings?: string[];
  mime?: string;
  language?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

type Vectors = { modelId: string; vectors: Float32Array[] };

/** What documents.write gets for a test document: its text is its chunks joined by single spaces, offsets exact. */
function documentArgs(collection: string, doc: TestDoc, vectors?: Vectors): Parameters<Store['documents']['write']> {
  const id = `${collection}:${doc.source}`;
  let offset = 0;
  const chunks: NewChunk[] = doc.chunks.map((text, ordinal) => {
    const start = offset;
    offset += text.length + 1;
    return {
      id: `${id}#${ordinal}`,
      ordinal,
      text,
      start,
      end: start + text.length,
      page: null,
      headings: doc.headings ?? [],
      tokenCount: text.split(' ').length,
      metadata: {},
    };
  });
  const text = doc.chunks.join(' ');
  return [
    {
      id,
      collectionId: collection,
      source: doc.source,
      mime: doc.mime ?? 'text/plain',
      title: doc.title ?? '',
      language: doc.language ?? 'en',
      contentHash: `${text.length}:${doc.source}`,
      text,
      pages: [],
      metadata: doc.metadata ?? {},
      tags: doc.tags ?? [],
      bytes: text.length,
    },
    chunks,
    vectors ? { modelId: vectors.modelId, dimensions: vectors.vectors[0]?.length ?? 0, vectors: vectors.vectors } : undefined,
  ];
}

/** Writes a document whose text is its chunks joined by single spaces, offsets exact. */
export function addDocument(store: Store, collection: string, doc: TestDoc, vectors?: Vectors) {
  store.collections.ensure({ name: collection });
  return store.documents.write(...documentArgs(collection, doc, vectors));
}

/** addDocument through the store contract: the same document on either backend. */
export async function addDocumentTo(store: StoreContract, collection: string, doc: TestDoc, vectors?: Vectors) {
  await store.collections.ensure({ name: collection });
  return store.documents.write(...documentArgs(collection, doc, vectors));
}

/** An exact in-memory index (the ANN room's flat index) for the retrieval tests. */
export function createExactIndex(dimensions: number): VectorIndex {
  return createFlatIndex({ dimensions, metric: 'cosine' });
}

/** An ANN source that builds exact indexes from the store's vectors (what the ANN manager does, without files). */
export function createExactSource(store: Store): VectorIndexSource & { gets: number } {
  const source = {
    gets: 0,
    async get(collectionId: string, modelId: string): Promise<VectorIndex | null> {
      source.gets++;
      const stored = [...store.vectors.iterate(collectionId, modelId)];
      if (stored.length === 0) return null;
      const index = createExactIndex(stored[0]?.vector.length ?? 0);
      index.add(
        stored.map((s) => s.rowid),
        stored.map((s) => s.vector),
      );
      return index;
    },
  };
  return source;
}

/** A reranker that scores passages by how many times they contain a marker word, recording its calls. */
export function createCountingReranker(word: string): Reranker & { calls: number; lastCount: number } {
  const reranker = {
    id: 'fake-reranker',
    calls: 0,
    lastCount: 0,
    async score(_query: string, passages: string[]): Promise<number[]> {
      reranker.calls++;
      reranker.lastCount = passages.length;
      return passages.map((p) => p.split(word).length - 1);
    },
  };
  return reranker;
}

export async function embedAll(embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
  return embedder.embed(texts, 'passage');
}
