import { parseConfig } from '../../../core/index.ts';
import type { Store } from '../../../store/index.ts';

/** The index config section with overrides, as the manager receives it. */
export function indexConfig(overrides: Record<string, unknown> = {}) {
  return parseConfig({ index: overrides }).index;
}

/** A deterministic unit-ish vector for document i, chunk j. */
export function vectorFor(i: number, j: number, d: number): Float32Array {
  return Float32Array.from({ length: d }, (_, k) => Math.sin(i * 12.9898 + j * 78.233 + k * 3.7) + (k === i % d ? 2 : 0));
}

/** Writes a document of `chunks` chunks with vectors for `modelId`; returns the chunk rowids. */
export function writeDoc(store: Store, collectionId: string, i: number, chunks: number, modelId: string, d: number): number[] {
  const id = `${collectionId}-doc-${i}`;
  const text = Array.from({ length: chunks }, (_, j) => `chunk ${j} of ${i}.`).join(' ');
  const result = store.documents.write(
    {
      id,
      collectionId,
      source: `mem://${id}`,
      mime: 'text/plain',
      title: id,
      language: null,
      contentHash: `${i}-${chunks}-${Math.random()}`,
      text,
      pages: [],
      metadata: {},
      tags: [],
      bytes: text.length,
    },
    Array.from({ length: chunks }, (_, j) => ({
      id: `${id}-${j}`,
      ordinal: j,
      text: `chunk ${j} of ${i}.`,
      start: 0,
      end: 1,
      page: null,
      headings: [],
      tokenCount: 3,
      metadata: {},
    })),
    { modelId, dimensions: d, vectors: Array.from({ length: chunks }, (_, j) => vectorFor(i, j, d)) },
  );
  return result.chunkRowids;
}

/** Rowids that have a vector for the model: what the index must hold exactly. */
export function vectorRowids(store: Store, collectionId: string, modelId: string): number[] {
  return [...store.vectors.iterate(collectionId, modelId)].map((v) => v.rowid).sort((a, b) => a - b);
}
