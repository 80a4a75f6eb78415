import { createRequire } from 'node:module';
import type pg from 'pg';

// pg takes ~0.3 s to import and only the PostgreSQL backend needs it: it loads on first use, not
// with every process that reaches this module (the server and its search workers, on SQLite too).
const require = createRequire(import.meta.url);
let driver: typeof pg | undefined;

/** The pg driver, loaded on the first call (the same module object `import pg from 'pg'` gives). */
export function pgDriver(): typeof pg {
  driver ??= require('pg') as typeof pg;
  return driver;
}

/** Anything that runs a query: a pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INT8_OID = 20;

/**
 * Chunk rowids are bigint columns, which the driver returns as strings; search results carry them
 * as numbers (exact up to 2^53), so the queries here parse int8 as a number whatever the pool's
 * global parsers say.
 */
export const NUMERIC_INT8: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pgDriver().types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};
