/**
 * Which query terms a pruned BM25 query (bm25-sql.ts prunedSql) reads in full: the essential
 * terms of MaxScore. A term is marked by its position in the query's term list.
 */
export interface Bm25Pruning {
  /** Queries whose terms have fewer postings than this read them all (the exact path). */
  exactBelow: number;
  /** The first round reads the rarest terms' postings up to this many (at least one term). */
  budget: number;
  /** Candidates scored in full to set theta (at least k). */
  leaders: number;
}

/** How a query ran: every posting, or the essential terms' postings after `attempts` rounds. */
export interface Bm25Plan {
  path: 'exact' | 'pruned';
  attempts: number;
  /** Postings read in full by the last round. */
  postings: number;
  /** Postings of all the query's terms (what the exact path reads). */
  queryPostings: number;
}

/*
 * Measured at 200k chunks (bench/postgres-bm25-scale.ts, 300 SQuAD questions): a first round of
 * 12,000 postings gave the best queries/s (2,000: 2.1x the exact query, 5,000: 2.5x, 12,000: 2.7x,
 * 20,000: 2.5x, 40,000: 1.7x); below 5,000 postings the one exact query costs no more than the
 * frequency look-up plus a pruned query.
 */
export const DEFAULT_PRUNING: Bm25Pruning = { exactBelow: 5_000, budget: 12_000, leaders: 100 };

/** Term positions from rarest to most common (ties in query order). */
function byRarity(df: number[]): number[] {
  return df.map((_, i) => i).sort((a, b) => (df[a] as number) - (df[b] as number) || a - b);
}

/** null when every term would be essential: nothing to prune, the exact query is cheaper. */
const orNull = (essential: boolean[]) => (essential.every(Boolean) ? null : essential);

/** The rarest terms whose postings fit the budget, and always the rarest one. */
export function chooseEssential(df: number[], budget: number): boolean[] | null {
  const essential = df.map(() => false);
  let read = 0;
  for (const i of byRarity(df)) {
    const d = df[i] as number;
    if (read > 0 && read + d > budget) break;
    essential[i] = true;
    read += d;
  }
  return orNull(essential);
}

/*
 * After a round whose non-essential terms could still add up to theta (its k-th partial score, a
 * lower bound of every later round's), MaxScore's rule: the terms with the smallest bounds
 * (weight · (k1 + 1)) stay non-essential while their sum stays under theta, with the same margin
 * as the SQL check and a little more for the last-bit differences of JS's and PostgreSQL's ln; all
 * others become essential. At least one more term becomes essential each round, so rounds end.
 */
export function widenEssential(
  essential: boolean[],
  df: number[],
  counts: number[],
  n: number,
  k1: number,
  theta: number,
): boolean[] | null {
  const bound = df.map((d, i) => Math.log(1 + (n - d + 0.5) / (d + 0.5)) * (counts[i] as number) * (k1 + 1));
  const next = essential.map(() => true);
  let rest = 0;
  const candidates = df.map((_, i) => i).sort((a, b) => (bound[a] as number) - (bound[b] as number) || b - a);
  for (const i of candidates) {
    rest += bound[i] as number;
    if (rest * (1 + 1e-6) >= theta * (1 - 1e-3)) break;
    next[i] = false;
  }
  for (const [i, e] of essential.entries()) if (e) next[i] = true;
  if (next.every((e, i) => e === essential[i])) {
    const rarest = byRarity(df).find((i) => !essential[i]);
    if (rarest !== undefined) next[rarest] = true;
  }
  return orNull(next);
}

/** The non-essential terms' 1-based positions, rarest (largest bound) first: the order of look-ups. */
export function probeOrder(essential: boolean[], df: number[]): number[] {
  return byRarity(df)
    .filter((i) => !essential[i])
    .map((i) => i + 1);
}
