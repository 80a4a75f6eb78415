import { type Bm25Params, DEFAULT_BM25 } from '../bm25-index.ts';
import type { Ranked } from '../fusion.ts';
import { analyze } from '../tokenize.ts';
import type { SearchFilter } from '../types.ts';
import { filterCondition, SqlParams } from './filter-sql.ts';
import { NUMERIC_INT8, type Queryable } from './pg-query.ts';

/**
 * BM25F inside PostgreSQL, in one query: the embedded index's formula (retrieval/bm25-index.ts)
 * over the postings of migrations/postgres/0002_search.sql, with current statistics (document
 * count and average length from bm25_stats, document frequencies counted from the postings read),
 * the filter applied inside the query, and the same float32 accumulation, so scores and order are
 * identical to a freshly built embedded index over the same chunks.
 */
export interface Bm25PgQuery {
  collectionId: string;
  query: string;
  k: number;
  filter?: SearchFilter;
  params?: Bm25Params;
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

/*
 * $1 collection, $2 terms, $3 their counts, $4 title weight, $5 k1, $6 b, $7 k. Each expression
 * mirrors bm25-index.ts operation for operation (float8 like JS numbers): the impact is rounded to
 * float4 as the index stores it, and the document frequency counts every posting of the term,
 * before the filter, as the embedded index's idf does. The embedded index adds contributions into
 * a float4 in query-term order; that ordered aggregate (bm25_f32_sum) costs microseconds a row, so
 * every candidate is first ranked by a plain float8 sum, and only those within 1e-4 (relative) of
 * the k-th get the exact float4 score. The two sums differ by at most (terms · 2^-24) relative
 * (≤ 1.6e-5 for 256 terms), so no chunk of the exact top k is left out.
 */
function bm25Sql(filter: string | null): string {
  return `WITH q AS (
  SELECT term, qtf::float8 AS qtf, pos FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS q(term, qtf, pos)
), stats AS (
  SELECT coalesce(sum(docs), 0)::float8 AS n,
         coalesce(sum(title_len), 0)::float8 * $4::float8 + coalesce(sum(body_len), 0)::float8 AS total
  FROM bm25_stats WHERE collection_id = $1
), norm AS (
  SELECT n, CASE WHEN total / greatest(1::float8, n) = 0 THEN 1::float8 ELSE total / greatest(1::float8, n) END AS avgdl FROM stats
), postings AS (
  SELECT p.chunk_rowid, q.pos, q.qtf,
         p.title_tf::float8 * $4::float8 + p.body_tf::float8 AS tf,
         p.title_len::float8 * $4::float8 + p.body_len::float8 AS len,
         count(*) OVER (PARTITION BY q.pos)::float8 AS df
  FROM q JOIN bm25_postings p ON p.collection_id = $1 AND p.term = q.term
), hits AS MATERIALIZED (
  SELECT h.chunk_rowid, h.pos,
         ln(1::float8 + (s.n - h.df + 0.5::float8) / (h.df + 0.5::float8)) * h.qtf
         * ((h.tf * ($5::float8 + 1::float8)) / (h.tf + $5::float8 * (1::float8 - $6::float8 + ($6::float8 * h.len) / s.avgdl)))::real::float8
         AS contribution
  FROM postings h CROSS JOIN norm s
  ${filter ? `WHERE ${filter}` : ''}
), approx AS (
  SELECT chunk_rowid, sum(contribution) AS score FROM hits GROUP BY chunk_rowid
), finalists AS (
  SELECT chunk_rowid FROM approx
  WHERE score >= coalesce((SELECT score FROM approx ORDER BY score DESC OFFSET $7 - 1 LIMIT 1), 0) * (1 - 1e-4)
)
SELECT h.chunk_rowid AS rowid, bm25_f32_sum(h.contribution ORDER BY h.pos)::float8 AS score
FROM hits h JOIN finalists f ON f.chunk_rowid = h.chunk_rowid
GROUP BY h.chunk_rowid ORDER BY score DESC, rowid LIMIT $7`;
}

/** The k best chunks of a collection for a query, inside the filter; ids are chunk rowids. */
export async function searchBm25Pg(db: Queryable, query: Bm25PgQuery): Promise<Bm25PgResult> {
  const { terms, counts } = queryTerms(query.query);
  if (terms.length === 0) return { hits: [], noTerms: true };
  if (query.k <= 0) return { hits: [], noTerms: false };
  const { k1, b, titleWeight } = query.params ?? DEFAULT_BM25;
  const p = new SqlParams([query.collectionId, terms, counts, titleWeight, k1, b, query.k]);
  const filter = filterCondition(query.filter, 'h.chunk_rowid', p);
  const result = await db.query<{ rowid: number; score: number }>({
    text: bm25Sql(filter),
    values: p.values,
    types: NUMERIC_INT8,
  });
  return { hits: result.rows.map((r) => ({ id: r.rowid, score: r.score })), noTerms: false };
}
