import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { ensureVectorIndex } from '../../retrieval/postgres/dense.ts';
import { createPostgresRetrievers } from '../../retrieval/postgres/retrievers.ts';
import { createPool, createPostgresStore, migratePostgres, type PostgresStore } from '../../store/postgres/index.ts';
import { useTestDatabase } from '../store/postgres-helpers.ts';

/** Empties every table and restarts identities, so each test starts where a new SQLite file does (rowids from 1). */
export async function emptyTables(pool: pg.Pool): Promise<void> {
  const tables = await pool.query<{ t: string }>(
    "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
  );
  await pool.query(`TRUNCATE ${tables.rows.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
}

export interface PostgresBackend {
  pool(): pg.Pool;
  /** An emptied store over the file's database (closing it leaves the pool open) and its retrievers. */
  open(): Promise<{ store: PostgresStore; retrievers: ReturnType<typeof createPostgresRetrievers>; close(): Promise<void> }>;
}

/**
 * A migrated database for the describe block. The HNSW indexes of the given models are built up
 * front: createPostgresRetrievers builds a missing one in the background, and a test must not
 * race that build (exact scan before it, HNSW after).
 */
export function usePostgresBackend(prefix: string, models: { id: string; dimensions: number }[] = []): PostgresBackend {
  const url = useTestDatabase(prefix);
  // The store's own pool: it reads bigint rowids as numbers, as the server's does.
  let opened: pg.Pool | null = null;
  beforeAll(async () => {
    opened = createPool({ url: url(), poolSize: 4 });
    await migratePostgres(opened);
    for (const model of models) await ensureVectorIndex(opened, model.id, model.dimensions);
  });
  afterAll(async () => {
    await opened?.end();
  });
  const pool = () => {
    if (!opened) throw new Error('The test database was not created');
    return opened;
  };
  return {
    pool,
    async open() {
      await emptyTables(pool());
      const store: PostgresStore = { ...createPostgresStore(pool()), close: async () => undefined };
      return { store, retrievers: createPostgresRetrievers({ pool: pool(), store }), close: async () => undefined };
    },
  };
}
