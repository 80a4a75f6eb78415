import type { VectorIndex } from '../indexer/ann/index.ts';
import type { Embedder } from '../models/index.ts';
import type { Ranked } from './fusion.ts';

/** Embeds the query (role `query`) and searches the collection's vector index inside the allowed set. */
export async function denseSearch(
  embedder: Embedder,
  index: VectorIndex,
  query: string,
  k: number,
  allowed: Set<number> | null,
): Promise<{ hits: Ranked[]; embedMs: number; searchMs: number }> {
  const t0 = performance.now();
  const [vector] = await embedder.embed([query], 'query');
  const t1 = performance.now();
  if (!vector) return { hits: [], embedMs: t1 - t0, searchMs: 0 };
  const hits = index.search(vector, k, allowed ? { filter: allowed } : {});
  return { hits: hits.map((h) => ({ id: h.label, score: h.score })), embedMs: t1 - t0, searchMs: performance.now() - t1 };
}
