import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { isCi } from '../ci-env.ts';

/**
 * The PostgreSQL server the tests use: CAIRN_TEST_DATABASE_URL, as `.ci/run` exports it from
 * scripts/postgres-test-server. Each test file gets a database of its own, dropped after it.
 * Without a server the PostgreSQL tests skip on a developer's machine, and fail in CI.
 */
export const TEST_DATABASE_URL = process.env.CAIRN_TEST_DATABASE_URL?.trim() || null;

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `no PostgreSQL at CAIRN_TEST_DATABASE_URL (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export const postgresProblem: string | null = TEST_DATABASE_URL
  ? await probe(TEST_DATABASE_URL)
  : 'CAIRN_TEST_DATABASE_URL is not set (start a server with scripts/postgres-test-server and export its URL)';

/** Skipped only outside CI: in CI a missing server makes every PostgreSQL test fail with the reason. */
export const skipPostgres = postgresProblem !== null && !isCi();
if (skipPostgres) console.warn(`PostgreSQL tests skipped: ${postgresProblem}`);

export function describePostgres(name: string, body: () => void): void {
  describe.skipIf(skipPostgres)(name, body);
}

function withDatabase(url: string, database: string): string {
  const out = new URL(url);
  out.pathname = `/${database}`;
  return out.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  if (postgresProblem !== null || TEST_DATABASE_URL === null)
    throw new Error(`PostgreSQL test without a server: ${postgresProblem}`);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Waits (up to 3 s) for the connections a test closed to be gone before dropping: FORCE would
 * otherwise kill a connection still closing, whose client then reports an uncaught error.
 */
async function dropWhenIdle(client: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const open = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (open.rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Creates an empty database on the test server; returns its URL and how to drop it. */
export async function createTestDatabase(prefix = 'cairn_test'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(TEST_DATABASE_URL as string, name),
    drop: () => admin((client) => dropWhenIdle(client, name)),
  };
}

/** A database for the current describe block: created before its tests, dropped after them. */
export function useTestDatabase(prefix?: string): () => string {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error('The test database was not created');
    return database.url;
  };
}
