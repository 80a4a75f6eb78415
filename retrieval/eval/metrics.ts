/**
 * Ranking metrics as BEIR (pytrec_eval) computes them: graded gains taken linearly, documents
 * with a relevance of 0 or less count as not relevant.
 */
export type Qrels = Map<string, number>;

export function ndcgAt(ranked: string[], qrels: Qrels, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    const gain = qrels.get(id) ?? 0;
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  });
  const ideal = [...qrels.values()]
    .filter((g) => g > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((sum, gain, i) => sum + gain / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: string[], qrels: Qrels, k: number): number {
  const relevant = [...qrels].filter(([, g]) => g > 0).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

export function mrrAt(ranked: string[], qrels: Qrels, k: number): number {
  const i = ranked.slice(0, k).findIndex((id) => (qrels.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** The p-th percentile (0–100) by nearest rank; 0 for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const METRICS = ['ndcg@10', 'recall@100', 'mrr@10', 'recall@1', 'recall@5', 'recall@20'] as const;
export type MetricName = (typeof METRICS)[number];

export function scoreQuery(ranked: string[], qrels: Qrels): Record<MetricName, number> {
  return {
    'ndcg@10': ndcgAt(ranked, qrels, 10),
    'recall@100': recallAt(ranked, qrels, 100),
    'mrr@10': mrrAt(ranked, qrels, 10),
    'recall@1': recallAt(ranked, qrels, 1),
    'recall@5': recallAt(ranked, qrels, 5),
    'recall@20': recallAt(ranked, qrels, 20),
  };
}

/** Mean of each metric over queries, rounded to 4 places. */
export function averageScores(perQuery: Record<MetricName, number>[]): Record<MetricName, number> {
  const out = {} as Record<MetricName, number>;
  for (const name of METRICS) {
    const sum = perQuery.reduce((s, q) => s + q[name], 0);
    out[name] = perQuery.length === 0 ? 0 : Math.round((sum / perQuery.length) * 10_000) / 10_000;
  }
  return out;
}
