import { createHash } from 'node:crypto';
import type pg from 'pg';
import { CairnError } from '../../core/index.ts';
import { isEmptyFilter } from '../filter.ts';
import type { Ranked } from '../fusion.ts';
import type { SearchFilter } from '../types.ts';
import { filterCondition, SqlParams } from './filter-sql.ts';
import { NUMERIC_INT8, pgDriver } from './pg-query.ts';
import { type PgvectorSupport, pgvectorSupport } from './pgvector.ts';

/**
 * Dense search inside PostgreSQL with pgvector. The vectors table has one untyped `vector` column
 * for every model, so each (model, dimensions) gets its own HNSW index on the expression
 * `embedding::vector(D)` (halfvec above 2000 dimensions, pgvector's limit for vector), partial on
 * the model; a query casts the same way so the planner can use it. The collection and the request
 * filter are conditions on that shared graph, so with pgvector ≥ 0.8 every query sets
 * `hnsw.iterative_scan = relaxed_order` (the scan goes on until k rows pass the conditions) and
 * re-sorts; without it, a filtered query scans the filtered rows exactly instead. A query that
 * still finds fewer than k rows (the scan's tuple budget ran out) is answered by the exact scan.
 */
export interface PgvectorParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

export const DEFAULT_PGVECTOR: PgvectorParams = { m: 16, efConstruction: 64, efSearch: 100 };

export interface DensePgQuery {
  collectionId: string;
  modelId: string;
  vector: Float32Array;
  k: number;
  filter?: SearchFilter;
  efSearch?: number;
}

/** pgvector's HNSW limit for `vector`; up to 4000 dimensions index as halfvec. */
const MAX_VECTOR_DIMS = 2000;

function vectorType(dimensions: number): { type: string; ops: string } {
  return dimensions > MAX_VECTOR_DIMS
    ? { type: `halfvec(${dimensions})`, ops: 'halfvec_cosine_ops' }
    : { type: `vector(${dimensions})`, ops: 'vector_cosine_ops' };
}

/** pgvector's `vector` holds at most 16,000 dimensions; the count is inlined into SQL, so it must be an integer. */
function checkDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16_000)
    throw new CairnError('VALIDATION', `Invalid vector dimensions: ${dimensions}`, { dimensions });
}

/** The index of one model and dimension count; its name is stable so every instance finds it. */
export function vectorIndexName(modelId: string, dimensions: number): string {
  const hash = createHash('sha256').update(modelId).digest('hex').slice(0, 16);
  return `vectors_hnsw_${hash}_${dimensions}`;
}

function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * Creates the model's HNSW index if it is missing (or left invalid by an interrupted build), once
 * across instances (advisory lock), without blocking writes (CONCURRENTLY). An existing index is
 * kept as it is even if m or ef_construction changed since: rebuilding is an operator's decision.
 */
export async function ensureVectorIndex(
  db: pg.Pool,
  modelId: string,
  dimensions: number,
  options: Pick<PgvectorParams, 'm' | 'efConstruction'> = DEFAULT_PGVECTOR,
): Promise<{ name: string; created: boolean }> {
  checkDimensions(dimensions);
  const name = vectorIndexName(modelId, dimensions);
  const m = Math.trunc(options.m);
  const ef = Math.trunc(options.efConstruction);
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const { rows } = await client.query<{ valid: boolean }>(
      'SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)',
      [name],
    );
    if (rows[0]?.valid) return { name, created: false };
    if (rows[0]) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    const { type, ops } = vectorType(dimensions);
    await client.query(
      `CREATE INDEX CONCURRENTLY ${name} ON vectors USING hnsw ((embedding::${type}) ${ops}) WITH (m = ${m}, ef_construction = ${ef})
       WHERE model_id = ${pgDriver().escapeLiteral(modelId)} AND dimensions = ${dimensions}`,
    );
    return { name, created: true };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    client.release();
  }
}

/**
 * ensureVectorIndex once per (model, dimensions) per process: call `ensure` after a write of a
 * model's vectors commits (never inside the writing transaction: CREATE INDEX CONCURRENTLY waits
 * for open transactions). A failed attempt is forgotten, so the next write tries again.
 */
export function createVectorIndexEnsurer(db: pg.Pool, options: Pick<PgvectorParams, 'm' | 'efConstruction'> = DEFAULT_PGVECTOR) {
  const done = new Map<string, Promise<unknown>>();
  return {
    ensure(modelId: string, dimensions: number): Promise<unknown> {
      const key = `${dimensions}:${modelId}`;
      let pending = done.get(key);
      if (!pending) {
        pending = ensureVectorIndex(db, modelId, dimensions, options);
        pending.catch(() => done.delete(key));
        done.set(key, pending);
      }
      return pending;
    },
  };
}

interface Shape {
  query: DensePgQuery;
  /** Order by the indexed expression (HNSW) or by a plain distance the index cannot serve (exact). */
  exact: boolean;
}

/** The query: $1 the vector, $2 the collection, $3 k; the model is inlined so the partial index matches. */
function denseSql({ query, exact }: Shape, p: SqlParams): string {
  const dims = query.vector.length;
  const { type } = vectorType(dims);
  const distance = exact ? 'v.embedding <=> $1::vector' : `(v.embedding::${type}) <=> ($1::${type})`;
  const filter = filterCondition(query.filter, 'v.rowid', p);
  return `WITH nearest AS MATERIALIZED (
  SELECT v.rowid, ${distance} AS distance FROM vectors v
  WHERE v.model_id = ${pgDriver().escapeLiteral(query.modelId)} AND v.dimensions = ${dims} AND v.collection_id = $2
    ${filter ? `AND ${filter}` : ''}
  ORDER BY distance LIMIT $3
)
SELECT rowid, 1 - distance AS score FROM nearest ORDER BY distance, rowid`;
}

async function runDense(client: pg.PoolClient, shape: Shape, settings: string[]): Promise<Ranked[]> {
  const { query } = shape;
  const p = new SqlParams([vectorLiteral(query.vector), query.collectionId, query.k]);
  const text = denseSql(shape, p);
  await client.query(['BEGIN READ ONLY', ...settings].join('; '));
  try {
    const { rows } = await client.query<{ rowid: number; score: number }>({ text, values: p.values, types: NUMERIC_INT8 });
    await client.query('COMMIT');
    return rows.map((r) => ({ id: r.rowid, score: r.score }));
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * How a query runs on this server: through the HNSW index with ef_search (and an iterative scan
 * when pgvector has them), or, for a filtered query on a pgvector without iterative scans, as an
 * exact scan of the filtered rows (the index alone would return fewer than k of them).
 */
export function densePlan(support: PgvectorSupport, filter: SearchFilter | undefined, efSearch: number) {
  const exact = !isEmptyFilter(filter) && !support.iterativeScan;
  const settings = exact ? [] : [`SET LOCAL hnsw.ef_search = ${Math.max(1, Math.trunc(efSearch))}`];
  if (!exact && support.iterativeScan) settings.push('SET LOCAL hnsw.iterative_scan = relaxed_order');
  return { exact, settings };
}

/** The k nearest chunks of a collection by cosine similarity, inside the filter; ids are chunk rowids. */
export async function searchDensePg(db: pg.Pool, query: DensePgQuery): Promise<Ranked[]> {
  checkDimensions(query.vector.length);
  if (query.k <= 0) return [];
  const support = await pgvectorSupport(db);
  const { exact, settings } = densePlan(support, query.filter, query.efSearch ?? DEFAULT_PGVECTOR.efSearch);
  const client = await db.connect();
  try {
    const hits = await runDense(client, { query, exact }, settings);
    if (exact || hits.length >= query.k) return hits;
    return await runDense(client, { query, exact: true }, []);
  } finally {
    client.release();
  }
}
