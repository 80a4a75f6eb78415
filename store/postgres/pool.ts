import { createRequire } from 'node:module';
import type pg from 'pg';

// pg takes ~0.3 s to import and only the PostgreSQL store needs it: it loads when a pool opens, not
// with every process that reaches the store's door (the CLI, the server and its search workers).
const require = createRequire(import.meta.url);
let driver: typeof pg | undefined;

function pgDriver(): typeof pg {
  driver ??= require('pg') as typeof pg;
  return driver;
}

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INT8_OID = 20;

/**
 * bigint columns (chunk rowids, counts, sizes) come back from the driver as strings; Cairn's
 * values are numbers, exact up to 2^53, as on SQLite. Set on this pool only, not the driver's
 * global parsers, so other users of `pg` in the process are unaffected.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pgDriver().types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PoolOptions {
  url: string;
  /** Connections at most (default 10). */
  poolSize?: number;
  /** Told when an idle connection fails (the server closed it); default: ignored. */
  onIdleError?: (error: Error) => void;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new (pgDriver().Pool)({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: TYPES,
    application_name: 'cairn',
  });
  // An idle connection that the server closes (a restart, a failover, an administrator) is
  // reported here; without a listener it would crash the process. The pool drops it and opens
  // a new one on the next query, so it is only passed on.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The first row of a query, or null. */
export async function one<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R | null> {
  const result = await db.query<R>(sql, params);
  return result.rows[0] ?? null;
}

export async function many<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

/** The row count a statement changed. */
export async function changes(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (SQLite can). It becomes U+FFFD, one UTF-16 unit
 * like it, so chunk offsets into a document's text stay exact.
 */
export function pgText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/** jsonb parameters go as JSON text: the driver would send a JS array as a PostgreSQL array. */
export function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}

/** pgvector's text form; float32 values print exactly, so they read back bit for bit. */
export function vectorText(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

export function parseVector(text: string): Float32Array {
  return Float32Array.from(JSON.parse(text) as number[]);
}

export function now(): string {
  return new Date().toISOString();
}
