import pg from 'pg';
import { migratePostgres } from '../../store/postgres/migrate.ts';
import { createTestDatabase as createEmptyDatabase, TEST_DATABASE_URL } from '../store/postgres-helpers.ts';

/**
 * A PostgreSQL database per test file with Cairn's migrations applied, on the server
 * CAIRN_TEST_DATABASE_URL points at (test/store/postgres-helpers.ts: skipped without a server on a
 * developer's machine, failing in CI).
 */
export { describePostgres } from '../store/postgres-helpers.ts';

export interface TestDatabase {
  pool: pg.Pool;
  url: string;
  drop(): Promise<void>;
}

/** The pool's backends exit just after pool.end() resolves; a FORCE drop would kill them mid-goodbye. */
async function dropWhenClosed(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL ?? '' });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (error) {
        if (attempt >= 50 || (error as { code?: string }).code !== '55006') throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await admin.end();
  }
}

/** A new database with the schema applied; drop() removes it. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const database = await createEmptyDatabase(prefix);
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await migratePostgres(pool);
  return {
    pool,
    url: database.url,
    async drop() {
      await pool.end();
      await dropWhenClosed(database.name);
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
