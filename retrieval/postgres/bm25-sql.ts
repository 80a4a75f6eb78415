/*
 * The SQL of BM25 inside PostgreSQL (retrieval/postgres/bm25.ts runs it). Every expression mirrors
 * retrieval/bm25-index.ts operation for operation (float8 like JS numbers): a term's weight is
 * idf · qtf, its impact in a chunk is rounded to float4 as the embedded index stores it, and the
 * document frequency counts every posting of the term, before the filter, as the embedded index's
 * idf does. The embedded index adds contributions into a float4 in query-term order; that ordered
 * aggregate (bm25_f32_sum) costs microseconds a row, so candidates are first ranked by a plain
 * float8 sum, and only those within 1e-4 (relative) of the k-th get the exact float4 score. The two
 * sums differ by at most (terms · 2^-24) relative (≤ 1.6e-5 for 256 terms), so no chunk of the
 * exact top k is left out.
 *
 * Parameters shared by both queries: $1 collection, $2 terms, $3 their counts, $4 title weight,
 * $5 k1, $6 b, $7 k.
 */

/** Document count and average length of the collection (bm25_stats, summed over its slots). */
const NORM = `stats AS (
  SELECT coalesce(sum(docs), 0)::float8 AS n,
         coalesce(sum(title_len), 0)::float8 * $4::float8 + coalesce(sum(body_len), 0)::float8 AS total
  FROM bm25_stats WHERE collection_id = $1
), norm AS (
  SELECT n, CASE WHEN total / greatest(1::float8, n) = 0 THEN 1::float8 ELSE total / greatest(1::float8, n) END AS avgdl FROM stats
)`;

/** The term weight idf · qtf from a document frequency `df` and the collection size `n`. */
const weight = (df: string, n: string, qtf: string) =>
  `ln(1::float8 + (${n} - ${df} + 0.5::float8) / (${df} + 0.5::float8)) * ${qtf}`;

/** The float4-rounded impact of posting `p` (BM25F: title counts weighted), normalised by `s.avgdl`. */
const impact = (p: string) => {
  const tf = `(${p}.title_tf::float8 * $4::float8 + ${p}.body_tf::float8)`;
  const len = `(${p}.title_len::float8 * $4::float8 + ${p}.body_len::float8)`;
  return `((${tf} * ($5::float8 + 1::float8)) / (${tf} + $5::float8 * (1::float8 - $6::float8 + ($6::float8 * ${len}) / s.avgdl)))::real::float8`;
};

/** Float8 ranking of `hits`, then the exact float4 ordered sum for the chunks near the k-th. */
const FINISH = `approx AS (
  SELECT chunk_rowid, sum(contribution) AS score FROM hits GROUP BY chunk_rowid
), finalists AS (
  SELECT chunk_rowid FROM approx
  WHERE score >= coalesce((SELECT score FROM approx ORDER BY score DESC OFFSET $7 - 1 LIMIT 1), 0) * (1 - 1e-4)
), ranked AS (
  SELECT h.chunk_rowid AS rowid, bm25_f32_sum(h.contribution ORDER BY h.pos)::float8 AS score
  FROM hits h JOIN finalists f ON f.chunk_rowid = h.chunk_rowid
  GROUP BY h.chunk_rowid ORDER BY score DESC, rowid LIMIT $7
)`;

/** Every posting of every query term, scored; df counted from the postings read. */
export function exactSql(filter: string | null): string {
  return `WITH q AS (
  SELECT term, qtf::float8 AS qtf, pos FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS q(term, qtf, pos)
), ${NORM}, postings AS (
  SELECT p.chunk_rowid, p.title_tf, p.body_tf, p.title_len, p.body_len, q.pos, q.qtf,
         count(*) OVER (PARTITION BY q.pos)::float8 AS df
  FROM q JOIN bm25_postings p ON p.collection_id = $1 AND p.term = q.term
), hits AS MATERIALIZED (
  SELECT p.chunk_rowid, p.pos, ${weight('p.df', 's.n', 'p.qtf')} * ${impact('p')} AS contribution
  FROM postings p CROSS JOIN norm s
  ${filter ? `WHERE ${filter}` : ''}
), ${FINISH}
SELECT rowid, score FROM ranked`;
}

/*
 * MaxScore in one query. Extra parameters: $8 each term's document frequency (bm25_terms), $9
 * whether the term is essential, $10 how many candidates to score in full first. Candidates are
 * the chunks holding an essential term (inside the filter), with partial scores from those terms.
 * A chunk holding only non-essential terms scores at most rest = Σ weight · (k1 + 1) over them (an
 * impact is below k1 + 1). The $10 best candidates by partial score get their full scores (the
 * other terms' postings looked up by primary key); theta, the k-th best of those, is a lower bound
 * of the true k-th score. When rest < theta no chunk outside the candidates can enter the top k.
 * The candidates then meet the non-essential terms one at a time (`order`: term positions, the
 * largest bound first): a candidate whose score so far plus the bounds of the terms still to come
 * is below theta is dropped, so each step looks up fewer chunks. All comparisons keep a 1e-3
 * relative margin, far above the float8/float4 rounding, so a bound never hides a tie. When
 * rest ≥ theta the query returns one row (null, theta) and the caller makes more terms essential.
 */
export function prunedSql(filter: string | null, order: number[]): string {
  // One primary-key probe per (chunk, term); LIMIT 1 keeps the planner from reading each chunk's
  // postings through bm25_postings_chunk instead.
  const probe = (c: string, where: string) => `SELECT q.pos, q.w * ${impact('p')} AS contribution
    FROM q CROSS JOIN norm s CROSS JOIN LATERAL (
      SELECT x.title_tf, x.body_tf, x.title_len, x.body_len FROM bm25_postings x
      WHERE x.collection_id = $1 AND x.term = q.term AND x.chunk_rowid = ${c} LIMIT 1
    ) p
    WHERE ${where}`;
  const bound = (positions: number[]) =>
    positions.length === 0
      ? '0::float8'
      : `(SELECT coalesce(sum(w), 0) * ($5::float8 + 1::float8) FROM q WHERE q.pos IN (${positions.join(', ')}))`;
  // Step i adds term order[i] (a constant position: $2[pos] lets the planner see the term).
  const steps = order.map(
    (pos, i) => `step${i + 1} AS MATERIALIZED (
  SELECT c.chunk_rowid, c.score + coalesce(q.w * ${impact('p')}, 0) AS score
  FROM step${i} c CROSS JOIN gate g CROSS JOIN norm s JOIN q ON q.pos = ${pos}
  LEFT JOIN bm25_postings p ON p.collection_id = $1 AND p.term = ($2::text[])[${pos}] AND p.chunk_rowid = c.chunk_rowid
  WHERE c.score + coalesce(q.w * ${impact('p')}, 0) + ${bound(order.slice(i + 1))} >= g.theta * (1 - 1e-3)
)`,
  );
  return `WITH ${NORM}, q AS (
  SELECT t.term, t.pos, t.ess, ${weight('t.df::float8', 's.n', 't.qtf::float8')} AS w
  FROM unnest($2::text[], $3::int[], $8::bigint[], $9::bool[]) WITH ORDINALITY AS t(term, qtf, df, ess, pos) CROSS JOIN norm s
), partial AS MATERIALIZED (
  SELECT p.chunk_rowid, sum(q.w * ${impact('p')}) AS score
  FROM q JOIN bm25_postings p ON p.collection_id = $1 AND p.term = q.term CROSS JOIN norm s
  WHERE q.ess${filter ? ` AND ${filter}` : ''}
  GROUP BY p.chunk_rowid
), leaders AS MATERIALIZED (
  SELECT f.chunk_rowid, f.score + coalesce((SELECT sum(l.contribution) FROM (${probe('f.chunk_rowid', 'NOT q.ess')}) l), 0) AS score
  FROM (SELECT chunk_rowid, score FROM partial ORDER BY score DESC, chunk_rowid LIMIT $10) f
), gate AS (
  SELECT t.theta, r.rest, (r.rest = 0 OR r.rest < t.theta * (1 - 1e-3)) AS ok
  FROM (SELECT coalesce((SELECT score FROM leaders ORDER BY score DESC OFFSET $7 - 1 LIMIT 1), 0) AS theta) t,
       (SELECT ${bound(order)} AS rest) r
), step0 AS MATERIALIZED (
  SELECT c.chunk_rowid, c.score FROM partial c CROSS JOIN gate g WHERE g.ok AND c.score + g.rest >= g.theta * (1 - 1e-3)
), ${steps.map((step) => `${step}, `).join('')}hits AS (
  SELECT c.chunk_rowid, l.pos, l.contribution FROM step${order.length} c CROSS JOIN LATERAL (${probe('c.chunk_rowid', 'true')}) l
), ${FINISH}
SELECT rowid, score FROM ranked
UNION ALL
SELECT NULL, theta FROM gate WHERE NOT ok`;
}
