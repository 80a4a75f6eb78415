import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isCi } from '../ci-env.ts';

/**
 * A throwaway PostgreSQL database per test file, created on the server CAIRN_TEST_DATABASE_URL
 * points at (scripts/postgres-test-server starts one). Without that variable the tests skip on a
 * developer's machine and fail in CI, where skipping would claim a run that did not happen.
 */
export const testDatabaseUrl = process.env.CAIRN_TEST_DATABASE_URL?.trim() || null;

export const NO_DATABASE =
  'CAIRN_TEST_DATABASE_URL is not set: PostgreSQL search tests skipped (start a server with scripts/postgres-test-server)';

/** Whether to run: true with a server; false (skip, with a message) without one outside CI; throws in CI. */
export function requireTestDatabase(): boolean {
  if (testDatabaseUrl) return true;
  if (isCi()) throw new Error(`CI=true but ${NO_DATABASE.replace(': PostgreSQL search tests skipped', '')}`);
  process.stderr.write(`${NO_DATABASE}\n`);
  return false;
}

const MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations/postgres');

/**
 * Until migrations/postgres/0001_init.sql exists, the tables search reads, shaped as PG-PLAN.md
 * describes them (SQLite's columns; JSON as jsonb; vectors without a fixed dimension).
 */
const MINIMAL_0001 = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE collections (id text PRIMARY KEY, name text NOT NULL UNIQUE, description text NOT NULL DEFAULT '',
  settings jsonb NOT NULL DEFAULT '{}', created_at text NOT NULL, updated_at text NOT NULL);
CREATE TABLE documents (id text PRIMARY KEY, collection_id text NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  source text NOT NULL, mime text NOT NULL, title text NOT NULL DEFAULT '', language text, content_hash text NOT NULL,
  text text NOT NULL, pages jsonb NOT NULL DEFAULT '[]', metadata jsonb NOT NULL DEFAULT '{}', tags jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'ready', bytes bigint NOT NULL DEFAULT 0, chunk_count integer NOT NULL DEFAULT 0,
  created_at text NOT NULL, updated_at text NOT NULL, UNIQUE (collection_id, source));
CREATE TABLE chunks (rowid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE,
  document_id text NOT NULL REFERENCES documents(id) ON DELETE CASCADE, collection_id text NOT NULL, ordinal integer NOT NULL,
  text text NOT NULL, char_start integer NOT NULL, char_end integer NOT NULL, page integer, headings jsonb NOT NULL DEFAULT '[]',
  token_count integer NOT NULL DEFAULT 0, metadata jsonb NOT NULL DEFAULT '{}', search_title text NOT NULL DEFAULT '',
  search_text text NOT NULL, UNIQUE (document_id, ordinal));
CREATE INDEX chunks_collection ON chunks (collection_id);
CREATE TABLE vectors (chunk_rowid bigint NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE, collection_id text NOT NULL,
  model_id text NOT NULL, dimensions integer NOT NULL, embedding vector NOT NULL, PRIMARY KEY (chunk_rowid, model_id));
CREATE INDEX vectors_collection_model ON vectors (collection_id, model_id);`;

/** Applies migrations/postgres in order (or the stand-in for 0001 and this helper's 0002). */
export async function migrate(pool: pg.Pool): Promise<void> {
  const files = readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  if (!existsSync(path.join(MIGRATIONS, '0001_init.sql'))) await pool.query(MINIMAL_0001);
  for (const file of files) await pool.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
}

export interface TestDatabase {
  pool: pg.Pool;
  url: string;
  drop(): Promise<void>;
}

/** The pool's backends exit just after pool.end() resolves; FORCE would kill them mid-goodbye. */
async function dropWhenClosed(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (error) {
      if (attempt >= 50 || (error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A new database with the schema applied; drop() removes it. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl ?? '' });
  await admin.connect();
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(testDatabaseUrl ?? '');
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  await migrate(pool);
  return {
    pool,
    url: url.toString(),
    async drop() {
      await pool.end();
      await dropWhenClosed(admin, name);
      await admin.end();
    },
  };
}

let ordinal = 0;

/** Inserts a collection (if new), a document and its chunks; returns the chunk rowids in order. */
export async function insertDocument(
  db: pg.Pool | pg.PoolClient,
  doc: { collectionId: string; id: string; source?: string; title?: string; metadata?: object; tags?: string[]; mime?: string },
  chunks: { searchTitle?: string; searchText: string }[],
): Promise<number[]> {
  const now = new Date().toISOString();
  await db.query('INSERT INTO collections (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2) ON CONFLICT DO NOTHING', [
    doc.collectionId,
    now,
  ]);
  await db.query(
    `INSERT INTO documents (id, collection_id, source, mime, title, content_hash, text, metadata, tags, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $1, '', $6, $7, $8, $8)`,
    [
      doc.id,
      doc.collectionId,
      doc.source ?? doc.id,
      doc.mime ?? 'text/plain',
      doc.title ?? '',
      JSON.stringify(doc.metadata ?? {}),
      JSON.stringify(doc.tags ?? []),
      now,
    ],
  );
  const rowids: number[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const { rows } = await db.query<{ rowid: string }>(
      `INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, search_title, search_text)
       VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $5) RETURNING rowid`,
      [`${doc.id}#${i}:${ordinal++}`, doc.id, doc.collectionId, i, chunk.searchText, chunk.searchTitle ?? ''],
    );
    rowids.push(Number(rows[0]?.rowid));
  }
  return rowids;
}
