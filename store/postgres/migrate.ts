import type pg from 'pg';
import { CairnError } from '../../core/index.ts';
import { latestVersion, loadMigrations, type Migration } from '../database.ts';

const MIGRATIONS_DIR = new URL('../../migrations/postgres/', import.meta.url);

/**
 * The key of the transaction-level advisory lock every migrating instance takes: one constant
 * for Cairn's schema ("Cairn" in ASCII), so instances starting together apply each file once.
 */
export const MIGRATION_LOCK = 0x436169726e;

/** The numbered SQL files of migrations/postgres/, in order. */
export function loadPostgresMigrations(dir: string | URL = MIGRATIONS_DIR): Migration[] {
  return loadMigrations(dir);
}

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** The schema version recorded in the database (0 for an empty one). */
export async function postgresSchemaVersion(db: Pick<pg.Pool | pg.PoolClient, 'query'>): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return 0;
  const result = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return result.rows[0]?.v ?? 0;
}

/**
 * Applies one migration in its own transaction under the advisory lock, re-reading the version
 * inside the lock: an instance that waited for another one finds the file applied and skips it.
 * Returns whether this call applied it.
 */
async function applyOne(pool: pg.Pool, migration: Migration): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(VERSIONS_TABLE);
    if ((await postgresSchemaVersion(client)) >= migration.version) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new CairnError('DB_MIGRATION_FAILED', `Migration ${migration.name} failed: ${(error as Error).message}`, {
      migration: migration.name,
    });
  } finally {
    client.release();
  }
}

/**
 * Brings the database to the latest schema. Refuses a database newer than this Cairn, as the
 * SQLite store does. Returns the schema version after, and which files this call applied.
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: Migration[] = loadPostgresMigrations(),
): Promise<{ version: number; applied: string[] }> {
  const latest = latestVersion(migrations);
  const current = await postgresSchemaVersion(pool);
  if (current > latest) {
    throw new CairnError(
      'DB_NEWER_VERSION',
      `The database has schema version ${current}, newer than this Cairn understands (${latest}); upgrade Cairn`,
      { current, supported: latest },
    );
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    if (await applyOne(pool, migration)) applied.push(migration.name);
  }
  return { version: await postgresSchemaVersion(pool), applied };
}

/** The version the migrations of this Cairn bring a database to. */
export function latestPostgresVersion(migrations: Migration[] = loadPostgresMigrations()): number {
  return latestVersion(migrations);
}
