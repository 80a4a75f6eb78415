/**
 * Search over several collections: the same request runs in each, and the ranked lists are fused
 * by reciprocal rank. Ranks, not scores, because each collection may have its own embedder and
 * reranker whose scores do not compare. Chunk rowids are unique across collections.
 */
import type { Passage } from '../core/types.ts';
import { reciprocalRankFusion } from './fusion.ts';
import type { SearchRan, SearchRequest, SearchResult } from './types.ts';

/** A passage that says which collection it came from. */
export type CollectionPassage = Passage & { collection: string };

export type MultiSearchResult = Omit<SearchResult, 'passages'> & { passages: CollectionPassage[]; collections: string[] };

function mergedRan(results: SearchResult[]): SearchRan {
  return {
    bm25: results.some((r) => r.ran.bm25),
    dense: results.some((r) => r.ran.dense),
    fusion: results.find((r) => r.ran.fusion !== null)?.ran.fusion ?? null,
    rerank: results.some((r) => r.ran.rerank),
  };
}

/** Per stage, the slowest collection (they run side by side), plus the fusion itself. */
function mergedTimings(results: SearchResult[], fuseMs: number): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const result of results) {
    for (const [stage, ms] of Object.entries(result.timings)) timings[stage] = Math.max(timings[stage] ?? 0, ms);
  }
  return { ...timings, collections: Math.round(fuseMs * 100) / 100 };
}

/** Fuses each collection's result (in `collections` order) into one list of at most `k` passages. */
export function fuseCollectionResults(collections: string[], results: SearchResult[], k?: number): MultiSearchResult {
  const started = performance.now();
  const byRowid = new Map<number, CollectionPassage>();
  const lists = results.map((result, i) =>
    result.passages.map((passage) => {
      byRowid.set(passage.rowid, { ...passage, collection: collections[i] ?? '' });
      return { id: passage.rowid, score: 0 };
    }),
  );
  const limit = k ?? Math.max(0, ...results.map((r) => r.passages.length));
  const passages = reciprocalRankFusion(lists)
    .slice(0, limit)
    .flatMap((fused) => byRowid.get(fused.id) ?? []);
  const notes = [...new Set(results.flatMap((r, i) => r.notes.map((note) => `${collections[i]}: ${note}`)))];
  return { passages, ran: mergedRan(results), notes, timings: mergedTimings(results, performance.now() - started), collections };
}

/** Runs the request in every collection (side by side) and fuses the results. */
export async function searchCollections(
  search: (request: SearchRequest) => Promise<SearchResult>,
  collections: string[],
  request: SearchRequest,
): Promise<MultiSearchResult> {
  const results = await Promise.all(collections.map((collection) => search({ ...request, collection })));
  return fuseCollectionResults(collections, results, request.k);
}
