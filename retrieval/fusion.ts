/**
 * Rank fusion of several ranked lists of ids: pure functions. Reciprocal rank fusion needs only
 * ranks; the convex combination needs scores, min-max-normalized per list so BM25's unbounded
 * scores and cosine similarities can be mixed.
 */
export interface Ranked {
  id: number;
  score: number;
}

export interface Fused {
  id: number;
  score: number;
}

function sortFused(scores: Map<number, number>): Fused[] {
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/** score(d) = Σ 1 / (k + rank) over the lists that contain d, rank from 1. */
export function reciprocalRankFusion(lists: Ranked[][], k = 60): Fused[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((item, i) => {
      scores.set(item.id, (scores.get(item.id) ?? 0) + 1 / (k + i + 1));
    });
  }
  return sortFused(scores);
}

/** Scores mapped onto [0, 1]; a list whose scores are all equal maps to 1 (every item is its best). */
export function minMaxNormalize(list: Ranked[]): Ranked[] {
  if (list.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const { score } of list) {
    if (score < min) min = score;
    if (score > max) max = score;
  }
  const span = max - min;
  return list.map(({ id, score }) => ({ id, score: span > 0 ? (score - min) / span : 1 }));
}

/**
 * weight·norm(dense) + (1 − weight)·norm(lexical); an id missing from a list gets 0 for it
 * (the list's normalized minimum), as if ranked last.
 */
export function convexCombination(lexical: Ranked[], dense: Ranked[], weight = 0.5): Fused[] {
  const scores = new Map<number, number>();
  for (const { id, score } of minMaxNormalize(lexical)) scores.set(id, (1 - weight) * score);
  for (const { id, score } of minMaxNormalize(dense)) scores.set(id, (scores.get(id) ?? 0) + weight * score);
  return sortFused(scores);
}
