import type { SearchRequest, SearchResult } from '../../retrieval/index.ts';

/** Requests whose whole results (passages, scores, notes, what ran) must agree between backends. */
export const PARITY_REQUESTS: Partial<SearchRequest>[] = [
  { query: 'Do cats purr?', mode: 'bm25', k: 3, contextWindow: 0 },
  { query: 'Mars moons Earth', mode: 'bm25', k: 5, contextWindow: 1 },
  { query: 'parrots mimic speech', mode: 'dense', k: 4, contextWindow: 0 },
  { query: 'Mars moons', mode: 'hybrid', k: 3 },
  { query: 'the moon and the cats', mode: 'hybrid', k: 5, fusion: 'rrf', contextWindow: 0 },
  { query: '长城在哪里', mode: 'hybrid', k: 2 },
  { query: 'moon mars cats dogs', mode: 'hybrid', k: 2, contextWindow: 0, filter: { source: 'space.txt' } },
  { query: 'cats', mode: 'hybrid', k: 3, filter: { documentIds: ['kb:animals.txt', 'kb:zh.txt'] } },
  { query: 'cats', mode: 'hybrid', filter: { tags: ['missing'] } },
  { query: '?!"(*)-', mode: 'bm25' },
];

/**
 * A result without its timings (wall-clock), numbers rounded to 6 places: the embedded index
 * computes cosine in float32, pgvector in double from the same float32 vectors (0.8660253882 and
 * 0.8660254141 for one pair here), and the fused scores follow.
 */
export function comparable(result: SearchResult) {
  const { timings: _timings, ...rest } = result;
  return JSON.parse(JSON.stringify(rest, (_key, value) => (typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value)));
}
