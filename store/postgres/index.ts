import type pg from 'pg';
import type { Config } from '../../core/config.ts';
import type { Async, StoreContract } from '../contract.ts';
import type { JobsRepo } from '../jobs.ts';
import { createPgApiKeysRepo } from './api-keys.ts';
import { createPgChatsRepo } from './chats.ts';
import { createPgChunksRepo, createPgVectorsRepo } from './chunks.ts';
import { createPgCollectionsRepo } from './collections.ts';
import { createPgDocumentsRepo } from './documents.ts';
import { createPgFeedbackRepo } from './feedback.ts';
import { createPgIdempotencyRepo } from './idempotency.ts';
import { createPgJobsRepo, type JobLeases } from './jobs.ts';
import { migratePostgres, postgresSchemaVersion } from './migrate.ts';
import { createPool } from './pool.ts';

export type { JobLeases, PgJobsRepo } from './jobs.ts';
export {
  latestPostgresVersion,
  loadPostgresMigrations,
  MIGRATION_LOCK,
  migratePostgres,
  postgresSchemaVersion,
} from './migrate.ts';
export { createPool } from './pool.ts';

/** The PostgreSQL store: the contract, its pool (search runs on it), and job leases for several instances. */
export interface PostgresStore extends StoreContract {
  readonly kind: 'postgres';
  jobs: Async<JobsRepo> & JobLeases;
  pool: pg.Pool;
}

export interface OpenPostgresStoreOptions {
  /** postgres://user:password@host:port/database (libpq URL syntax, including ?sslmode=…). */
  url: string;
  /** Connections at most per instance (default 10). */
  poolSize?: number;
  /** Apply pending migrations first (default true): instances starting together migrate once. */
  migrate?: boolean;
}

/** The store over a pool of its own. */
export function createPostgresStore(pool: pg.Pool): PostgresStore {
  return {
    kind: 'postgres',
    pool,
    collections: createPgCollectionsRepo(pool),
    documents: createPgDocumentsRepo(pool),
    chunks: createPgChunksRepo(pool),
    vectors: createPgVectorsRepo(pool),
    jobs: createPgJobsRepo(pool),
    apiKeys: createPgApiKeysRepo(pool),
    chats: createPgChatsRepo(pool),
    idempotency: createPgIdempotencyRepo(pool),
    feedback: createPgFeedbackRepo(pool),
    schemaVersion: () => postgresSchemaVersion(pool),
    close: () => pool.end(),
  };
}

/** Opens (and by default migrates) a PostgreSQL database as a Cairn store. */
export async function openPostgresStore(options: OpenPostgresStoreOptions): Promise<PostgresStore> {
  const pool = createPool(
    options.poolSize === undefined ? { url: options.url } : { url: options.url, poolSize: options.poolSize },
  );
  try {
    if (options.migrate ?? true) await migratePostgres(pool);
    return createPostgresStore(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/** Whether the config names PostgreSQL (store.url postgres:// or postgresql://) rather than the embedded store. */
export function usesPostgres(config: Pick<Config, 'store'>): boolean {
  return config.store.url !== null && /^postgres(ql)?:\/\//.test(config.store.url);
}

/** The PostgreSQL store the config names, migrated and ready; null when it names the embedded SQLite store. */
export async function openConfiguredPostgresStore(config: Pick<Config, 'store'>): Promise<PostgresStore | null> {
  if (!usesPostgres(config) || config.store.url === null) return null;
  return openPostgresStore({ url: config.store.url, poolSize: config.store.poolSize });
}
