import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { CairnError } from '../core/index.ts';
import { type PostingsRow, writePostings } from '../retrieval/postgres/postings.ts';
import type { Db } from './database.ts';
import { blobToVector } from './documents.ts';
import { createPgJobFiles } from './postgres/job-files.ts';
import { inTransaction, vectorText } from './postgres/pool.ts';

/**
 * Copies an embedded data folder's database into PostgreSQL (`cairn migrate --to`). Rows keep
 * their ids, chunks keep their rowids (so both backends rank ties the same way and vectors follow
 * their chunks), and documents are copied with their chunks, vectors and BM25 postings in one
 * transaction per batch: an interrupted copy leaves whole documents, and running it again skips
 * what is already there (every insert is ON CONFLICT DO NOTHING). The counts of both sides are
 * compared at the end.
 */
export interface CopyOptions {
  /** Documents per transaction (default 200). */
  batchDocuments?: number;
  onProgress?: (event: { table: string; done: number; total: number }) => void;
  /** Called after each committed document batch: lets a test interrupt the copy part-way. */
  afterBatch?: (documentsDone: number) => void;
  /**
   * The data folder's uploads folder: the bytes of unfinished jobs' uploads are copied into
   * job_files, so whichever instance claims such a job can run it.
   */
  uploadsDir?: string;
}

export interface CopyReport {
  tables: { table: string; source: number; target: number }[];
  documents: { copied: number; alreadyThere: number };
  /** True when every table has as many rows in PostgreSQL as in the data folder. */
  ok: boolean;
}

/** Tables copied row for row, in foreign-key order; documents, chunks and vectors go in batches instead. */
const SIMPLE_TABLES: { table: string; json: string[]; order: string; adapt?: (row: Row) => Row }[] = [
  { table: 'collections', json: ['settings'], order: 'id' },
  { table: 'api_keys', json: ['scopes', 'origins'], order: 'id' },
  // A job the data folder's server was running has no lease on PostgreSQL: it waits to be claimed again.
  {
    table: 'jobs',
    json: ['progress', 'payload', 'result', 'failures'],
    order: 'created_at, id',
    adapt: (row) => (row.status === 'running' ? { ...row, status: 'queued' } : row),
  },
  { table: 'chats', json: [], order: 'created_at, id' },
  // SQLite's implicit rowid orders messages written in the same millisecond; PostgreSQL numbers them as inserted.
  { table: 'messages', json: ['result'], order: 'rowid' },
  { table: 'message_sources', json: [], order: 'message_id, document_id' },
  { table: 'embed_chats', json: [], order: 'chat_id' },
  { table: 'message_feedback', json: [], order: 'message_id' },
  { table: 'idempotency_keys', json: [], order: 'owner, key' },
];

const COUNTED = ['collections', 'documents', 'chunks', 'vectors', 'api_keys', 'jobs', 'chats', 'messages'];
const COUNTED_TAIL = ['message_sources', 'embed_chats', 'message_feedback', 'idempotency_keys'];

type Row = Record<string, unknown>;

/** SQLite keeps JSON as text; PostgreSQL's jsonb columns take the parsed value. */
function withJson(row: Row, columns: string[]): Row {
  const out = { ...row };
  for (const column of columns) {
    const value = out[column];
    if (typeof value === 'string') out[column] = JSON.parse(value);
  }
  return out;
}

/** Inserts rows given as JSON objects whose keys are the table's column names; existing keys are kept. */
async function insertRows(db: pg.Pool | pg.PoolClient, table: string, rows: Row[], options: { override?: boolean } = {}) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as Row);
  const list = columns.map((c) => `"${c}"`).join(', ');
  const override = options.override ? 'OVERRIDING SYSTEM VALUE' : '';
  await db.query(
    `INSERT INTO ${table} (${list}) ${override}
     SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) WITH ORDINALITY AS r ORDER BY r.ordinality
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

async function copySimpleTable(source: Db, target: pg.Pool, spec: (typeof SIMPLE_TABLES)[number], options: CopyOptions) {
  const columns = (source.prepare(`SELECT name FROM pragma_table_info('${spec.table}')`).all() as { name: string }[]).map(
    (c) => c.name,
  );
  const rows = source.prepare(`SELECT ${columns.join(', ')} FROM ${spec.table} ORDER BY ${spec.order}`).all() as Row[];
  for (let i = 0; i < rows.length; i += 500) {
    await insertRows(
      target,
      spec.table,
      rows.slice(i, i + 500).map((row) => withJson(spec.adapt ? spec.adapt(row) : row, spec.json)),
    );
    options.onProgress?.({ table: spec.table, done: Math.min(i + 500, rows.length), total: rows.length });
  }
}

function chunksOf(source: Db, ids: string[]): Row[] {
  const marks = ids.map(() => '?').join(', ');
  return source
    .prepare(
      `SELECT rowid, id, document_id, collection_id, ordinal, text, char_start, char_end, page, headings, token_count,
              metadata, search_title, search_text FROM chunks WHERE document_id IN (${marks}) ORDER BY rowid`,
    )
    .all(...ids) as Row[];
}

function vectorsOf(source: Db, ids: string[]): Row[] {
  const marks = ids.map(() => '?').join(', ');
  const rows = source
    .prepare(
      `SELECT v.chunk_rowid AS rowid, v.collection_id, v.model_id, v.dimensions, v.vector FROM vectors v
       JOIN chunks c ON c.rowid = v.chunk_rowid WHERE c.document_id IN (${marks}) ORDER BY v.chunk_rowid, v.model_id`,
    )
    .all(...ids) as { rowid: number; collection_id: string; model_id: string; dimensions: number; vector: Buffer }[];
  return rows.map(({ vector, ...rest }) => ({ ...rest, embedding: vectorText(blobToVector(vector)) }));
}

/** One batch of documents, with their chunks, vectors and postings, in one transaction. */
async function copyDocumentBatch(source: Db, target: pg.Pool, ids: string[]): Promise<void> {
  const marks = ids.map(() => '?').join(', ');
  const documents = (source.prepare(`SELECT * FROM documents WHERE id IN (${marks}) ORDER BY id`).all(...ids) as Row[]).map(
    (row) => withJson(row, ['pages', 'metadata', 'tags']),
  );
  const chunks = chunksOf(source, ids).map((row) => withJson(row, ['headings', 'metadata']));
  const vectors = vectorsOf(source, ids);
  await inTransaction(target, async (client) => {
    await insertRows(client, 'documents', documents);
    for (let i = 0; i < chunks.length; i += 1000)
      await insertRows(client, 'chunks', chunks.slice(i, i + 1000), { override: true });
    for (let i = 0; i < vectors.length; i += 1000) await insertRows(client, 'vectors', vectors.slice(i, i + 1000));
    const postings: PostingsRow[] = chunks.map((c) => ({
      rowid: c.rowid as number,
      collectionId: c.collection_id as string,
      searchTitle: c.search_title as string,
      searchText: c.search_text as string,
    }));
    await writePostings(client, postings);
  });
}

/** Documents the target already holds are skipped whole: they were committed with their chunks. */
async function copyDocuments(source: Db, target: pg.Pool, options: CopyOptions): Promise<CopyReport['documents']> {
  const all = (source.prepare('SELECT id FROM documents ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  const batch = Math.max(1, options.batchDocuments ?? 200);
  let copied = 0;
  let alreadyThere = 0;
  for (let i = 0; i < all.length; i += batch) {
    const ids = all.slice(i, i + batch);
    const present = new Set(
      (await target.query<{ id: string }>('SELECT id FROM documents WHERE id = ANY($1::text[])', [ids])).rows.map((r) => r.id),
    );
    const missing = ids.filter((id) => !present.has(id));
    alreadyThere += present.size;
    if (missing.length > 0) await copyDocumentBatch(source, target, missing);
    copied += missing.length;
    options.onProgress?.({ table: 'documents', done: Math.min(i + batch, all.length), total: all.length });
    options.afterBatch?.(copied + alreadyThere);
  }
  // New chunks written on PostgreSQL take rowids after the copied ones.
  await target.query(
    "SELECT setval(pg_get_serial_sequence('chunks', 'rowid'), (SELECT coalesce(max(rowid), 0) + 1 FROM chunks), false)",
  );
  return { copied, alreadyThere };
}

/** Refuses a target holding collections the data folder does not have: the copy would mix two installations. */
async function checkTarget(source: Db, target: pg.Pool): Promise<void> {
  const ours = new Set((source.prepare('SELECT id FROM collections').all() as { id: string }[]).map((r) => r.id));
  const theirs = (await target.query<{ id: string; name: string }>('SELECT id, name FROM collections')).rows;
  const foreign = theirs.filter((c) => !ours.has(c.id));
  if (foreign.length > 0) {
    throw new CairnError(
      'CONFIG_INVALID',
      `The target database already holds collections this data folder does not have (${foreign.map((c) => c.name).join(', ')}): migrate into an empty database`,
    );
  }
}

async function countBoth(source: Db, target: pg.Pool): Promise<CopyReport['tables']> {
  const out: CopyReport['tables'] = [];
  for (const table of [...COUNTED, ...COUNTED_TAIL]) {
    const s = (source.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const t = Number((await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
    out.push({ table, source: s, target: t });
  }
  return out;
}

/** Upload bytes of the unfinished jobs; a file already gone is left out (the job reports it missing). */
async function copyJobFiles(source: Db, target: pg.Pool, uploadsDir: string): Promise<void> {
  const payloads = source.prepare("SELECT payload FROM jobs WHERE status IN ('queued', 'running')").all() as {
    payload: string;
  }[];
  const files = payloads.flatMap((row) => {
    const sources = (JSON.parse(row.payload) as { sources?: { type?: string; file?: string }[] }).sources ?? [];
    return sources.flatMap((s) => (s.type === 'upload' && typeof s.file === 'string' ? [s.file] : []));
  });
  const present = files.filter((file) => existsSync(path.join(uploadsDir, file)));
  await createPgJobFiles(target).put(present.map((file) => ({ file, data: readFileSync(path.join(uploadsDir, file)) })));
}

export async function copySqliteToPostgres(source: Db, target: pg.Pool, options: CopyOptions = {}): Promise<CopyReport> {
  await checkTarget(source, target);
  const [collections, ...rest] = SIMPLE_TABLES;
  if (collections) await copySimpleTable(source, target, collections, options);
  const documents = await copyDocuments(source, target, options);
  for (const spec of rest) await copySimpleTable(source, target, spec, options);
  if (options.uploadsDir) await copyJobFiles(source, target, options.uploadsDir);
  const tables = await countBoth(source, target);
  return { tables, documents, ok: tables.every((t) => t.source === t.target) };
}
