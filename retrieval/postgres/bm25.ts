import { type Bm25Params, DEFAULT_BM25 } from '../bm25-index.ts';
import type { Ranked } from '../fusion.ts';
import { analyze } from '../tokenize.ts';
import type { SearchFilter } from '../types.ts';
import { type Bm25Plan, type Bm25Pruning, chooseEssential, DEFAULT_PRUNING, probeOrder, widenEssential } from './bm25-plan.ts';
import { exactSql, prunedSql } from './bm25-sql.ts';
import { filterCondition, SqlParams } from './filter-sql.ts';
import { NUMERIC_INT8, type Queryable } from './pg-query.ts';

export { type Bm25Plan, type Bm25Pruning, DEFAULT_PRUNING } from './bm25-plan.ts';

/**
 * BM25F inside PostgreSQL: the embedded index's formula (retrieval/bm25-index.ts) over the postings
 * of migrations/postgres/0002_search.sql, with current statistics (document count and average
 * length from bm25_stats, document frequencies from bm25_terms, 0004), the filter applied inside
 * the query, and the same float32 accumulation, so scores and order are identical to a freshly
 * built embedded index over the same chunks. A query whose terms have few postings reads them all
 * (exactSql); one with more reads only its rarer terms' postings and looks the others up for the
 * chunks that can still reach the top k (prunedSql, MaxScore): the same hits, at a cost that
 * follows the rare terms rather than the collection's size.
 */
export interface Bm25PgQuery {
  collectionId: string;
  query: string;
  k: number;
  filter?: SearchFilter;
  params?: Bm25Params;
  /** When to prune; `{ exactBelow: Infinity }` always reads every posting. */
  pruning?: Bm25Pruning;
  /** Told how the query ran (benchmarks, tests). */
  onPlan?: (plan: Bm25Plan) => void;
}

export interface Bm25PgResult {
  hits: Ranked[];
  /** The query has no searchable words (all stopwords or punctuation). */
  noTerms: boolean;
}

/** As in the embedded index: a 10,000-character query stays cheap. */
const MAX_QUERY_TERMS = 256;

/** Distinct query terms in first-seen order with their counts: the embedded index's query weights. */
export function queryTerms(query: string): { terms: string[]; counts: number[] } {
  const weights = new Map<string, number>();
  for (const term of analyze(query)) {
    if (!weights.has(term) && weights.size >= MAX_QUERY_TERMS) continue;
    weights.set(term, (weights.get(term) ?? 0) + 1);
  }
  return { terms: [...weights.keys()], counts: [...weights.values()] };
}

interface Prepared {
  query: Bm25PgQuery;
  terms: string[];
  counts: number[];
  params: Bm25Params;
}

type Row = { rowid: number | null; score: number };

async function run(db: Queryable, prep: Prepared, extra: unknown[], sql: (filter: string | null) => string): Promise<Row[]> {
  const { k1, b, titleWeight } = prep.params;
  const p = new SqlParams([prep.query.collectionId, prep.terms, prep.counts, titleWeight, k1, b, prep.query.k, ...extra]);
  const filter = filterCondition(prep.query.filter, 'p.chunk_rowid', p);
  const result = await db.query<Row>({ text: sql(filter), values: p.values, types: NUMERIC_INT8 });
  return result.rows;
}

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);

const toHits = (rows: Row[]): Ranked[] => rows.map((r) => ({ id: r.rowid as number, score: r.score }));

/** Each term's document frequency and the collection's size, from the per-slot counters. */
async function frequencies(db: Queryable, collectionId: string, terms: string[]): Promise<{ df: number[]; n: number }> {
  const { rows } = await db.query<{ df: number[]; n: number }>({
    text: `SELECT (SELECT array_agg(coalesce(d.df, 0) ORDER BY t.pos) FROM unnest($2::text[]) WITH ORDINALITY AS t(term, pos)
             LEFT JOIN (SELECT term, sum(df)::int8 AS df FROM bm25_terms WHERE collection_id = $1 AND term = ANY($2) GROUP BY term) d
             ON d.term = t.term) AS df,
           (SELECT coalesce(sum(docs), 0)::int8 FROM bm25_stats WHERE collection_id = $1) AS n`,
    values: [collectionId, terms],
    types: NUMERIC_INT8,
  });
  const row = rows[0] as { df: number[]; n: number };
  return { df: row.df.map(Number), n: row.n };
}

/** MaxScore rounds: each failed round's theta says which terms must become essential. */
async function searchPruned(db: Queryable, prep: Prepared, df: number[], n: number): Promise<Ranked[]> {
  const pruning = prep.query.pruning ?? DEFAULT_PRUNING;
  let essential = chooseEssential(df, pruning.budget);
  for (let attempt = 1; essential; attempt++) {
    const order = probeOrder(essential, df);
    const sql = (filter: string | null) => prunedSql(filter, order);
    const rows = await run(db, prep, [df, essential, Math.max(pruning.leaders, prep.query.k)], sql);
    const failed = rows.length === 1 && rows[0]?.rowid === null;
    if (!failed) {
      const postings = df.reduce((sum, d, i) => (essential?.[i] ? sum + d : sum), 0);
      prep.query.onPlan?.({ path: 'pruned', attempts: attempt, postings, queryPostings: sum(df) });
      return toHits(rows);
    }
    essential = widenEssential(essential, df, prep.counts, n, prep.params.k1, (rows[0] as Row).score);
  }
  prep.query.onPlan?.({ path: 'exact', attempts: 0, postings: sum(df), queryPostings: sum(df) });
  return toHits(await run(db, prep, [], exactSql));
}

/** The pruned path bounds an impact by k1 + 1, which holds for k1 ≥ 0, 0 ≤ b ≤ 1 and a title weight ≥ 0. */
const boundHolds = ({ k1, b, titleWeight }: Bm25Params) => k1 >= 0 && b >= 0 && b <= 1 && titleWeight >= 0;

/** The k best chunks of a collection for a query, inside the filter; ids are chunk rowids. */
export async function searchBm25Pg(db: Queryable, query: Bm25PgQuery): Promise<Bm25PgResult> {
  const { terms, counts } = queryTerms(query.query);
  if (terms.length === 0) return { hits: [], noTerms: true };
  if (query.k <= 0) return { hits: [], noTerms: false };
  const prep: Prepared = { query, terms, counts, params: query.params ?? DEFAULT_BM25 };
  const exactBelow = (query.pruning ?? DEFAULT_PRUNING).exactBelow;
  if (exactBelow === Number.POSITIVE_INFINITY) return { hits: toHits(await run(db, prep, [], exactSql)), noTerms: false };
  const { df, n } = await frequencies(db, query.collectionId, terms);
  const total = sum(df);
  if (total < exactBelow || terms.length === 1 || !boundHolds(prep.params)) {
    query.onPlan?.({ path: 'exact', attempts: 0, postings: total, queryPostings: total });
    return { hits: toHits(await run(db, prep, [], exactSql)), noTerms: false };
  }
  return { hits: await searchPruned(db, prep, df, n), noTerms: false };
}
