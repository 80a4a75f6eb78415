import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../../store/index.ts';
import {
  createPool,
  latestPostgresVersion,
  loadPostgresMigrations,
  migratePostgres,
  openPostgresStore,
} from '../../store/postgres/index.ts';
import { codeOf } from './contract.case.ts';
import { createTestDatabase, describePostgres } from './postgres-helpers.ts';

const TEST_MIGRATIONS: Migration[] = [
  { version: 1, name: '0001_t.sql', sql: 'CREATE TABLE t (n int); INSERT INTO t VALUES (1)' },
  // The sleep widens the window in which an unlocked second instance would apply it again.
  { version: 2, name: '0002_t.sql', sql: 'SELECT pg_sleep(0.2); INSERT INTO t VALUES (2)' },
  { version: 3, name: '0003_t.sql', sql: 'INSERT INTO t VALUES (3)' },
];

async function rows(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query({ text: sql, rowMode: 'array' })).rows;
  } finally {
    await client.end();
  }
}

describePostgres('PostgreSQL migrations', () => {
  it('six instances migrating one fresh database together apply each file once', async () => {
    const db = await createTestDatabase('cairn_migrate');
    const pools = Array.from({ length: 6 }, () => createPool({ url: db.url, poolSize: 2 }));
    try {
      const results = await Promise.all(pools.map((pool) => migratePostgres(pool, TEST_MIGRATIONS)));
      expect(results.map((r) => r.version)).toEqual([3, 3, 3, 3, 3, 3]);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001_t.sql', '0002_t.sql', '0003_t.sql']);
      expect(await rows(db.url, 'SELECT n FROM t ORDER BY n')).toEqual([[1], [2], [3]]);
      expect(await rows(db.url, 'SELECT version, name FROM schema_migrations ORDER BY version')).toEqual([
        [1, '0001_t.sql'],
        [2, '0002_t.sql'],
        [3, '0003_t.sql'],
      ]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
    }
  });

  it("Cairn's own migrations: four stores opening together; a second open applies nothing", async () => {
    const db = await createTestDatabase('cairn_migrate');
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore({ url: db.url, poolSize: 2 })));
      const files = loadPostgresMigrations();
      expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual([4, 4, 4, 4].map(() => latestPostgresVersion()));
      expect((await rows(db.url, 'SELECT name FROM schema_migrations ORDER BY version')).flat()).toEqual(
        files.map((f) => f.name),
      );
      expect((await migratePostgres(stores[0]?.pool as pg.Pool)).applied).toEqual([]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await db.drop();
    }
  });

  it('a failing migration rolls back whole; a database newer than this Cairn is refused', async () => {
    const db = await createTestDatabase('cairn_migrate');
    const pool = createPool({ url: db.url, poolSize: 2 });
    try {
      await migratePostgres(pool, TEST_MIGRATIONS.slice(0, 1));
      const broken = { version: 2, name: '0002_broken.sql', sql: 'INSERT INTO t VALUES (2); SELEC oops' };
      expect(await codeOf(migratePostgres(pool, [...TEST_MIGRATIONS.slice(0, 1), broken]))).toBe('DB_MIGRATION_FAILED');
      expect(await rows(db.url, 'SELECT n FROM t')).toEqual([[1]]);
      await migratePostgres(pool, TEST_MIGRATIONS);
      expect(await codeOf(migratePostgres(pool, TEST_MIGRATIONS.slice(0, 2)))).toBe('DB_NEWER_VERSION');
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});

describe('PostgreSQL migration files', () => {
  it('are numbered from 1 without gaps', () => {
    const versions = loadPostgresMigrations().map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
});
