export { type Bm25PgQuery, type Bm25PgResult, queryTerms, searchBm25Pg } from './bm25.ts';
export {
  createVectorIndexEnsurer,
  DEFAULT_PGVECTOR,
  type DensePgQuery,
  densePlan,
  ensureVectorIndex,
  type PgvectorParams,
  searchDensePg,
  vectorIndexName,
} from './dense.ts';
export { filterCondition, SqlParams } from './filter-sql.ts';
export { NUMERIC_INT8, type Queryable } from './pg-query.ts';
export { atLeast, type PgvectorSupport, pgvectorSupport } from './pgvector.ts';
export { type PostingsRow, writePostings } from './postings.ts';
