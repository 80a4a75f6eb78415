import pg from 'pg';

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
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};
