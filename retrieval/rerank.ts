import type { Reranker } from '../models/index.ts';
import type { Candidate } from './types.ts';

/**
 * Rescores the first `topN` candidates with a cross-encoder and puts them first, best first;
 * candidates beyond topN keep their order after them.
 */
export async function rerankCandidates(
  reranker: Reranker,
  query: string,
  candidates: Candidate[],
  texts: Map<number, string>,
  topN: number,
): Promise<Candidate[]> {
  const head = candidates.slice(0, topN);
  if (head.length === 0) return candidates;
  const scores = await reranker.score(
    query,
    head.map((c) => texts.get(c.rowid) ?? ''),
  );
  const rescored = head.map((c, i) => ({ ...c, scores: { ...c.scores, rerank: scores[i] ?? Number.NEGATIVE_INFINITY } }));
  rescored.sort((a, b) => (b.scores.rerank ?? 0) - (a.scores.rerank ?? 0));
  return [...rescored, ...candidates.slice(topN)];
}
