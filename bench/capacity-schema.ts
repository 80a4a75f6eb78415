/**
 * bench/capacity.ts on the real PostgreSQL schema (migrations/postgres 0001 + 0002) in a schema of
 * its own: chunks of a bench/scale data folder written a document (100 chunks) per transaction with
 * their vectors and BM25 postings (retrieval/postgres writePostings), as the store will; bytes per
 * chunk by table, the write rate, and BM25 queries/s through searchBm25Pg.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { searchBm25Pg, writePostings } from '../retrieval/postgres/index.ts';

export interface SchemaOptions {
  url: string;
  sqliteDir: string;
  chunks: number;
  dims: number;
  questions: string[];
  keep: boolean;
  log: (line: string) => void;
}

type Row = Record<string, unknown>;
const SCHEMA = 'capacity_schema';
const MIGRATIONS = path.resolve(import.meta.dirname, '../migrations/postgres');
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

interface ChunkRow {
  id: string;
  document_id: string;
  ordinal: number;
  text: string;
  char_start: number;
  char_end: number;
  search_title: string;
  search_text: string;
}

interface DocRow {
  id: string;
  source: string;
  title: string;
  content_hash: string;
  text: string;
}

function readFolder(sqliteDir: string, limit: number): { docs: DocRow[]; chunks: ChunkRow[] } {
  const db = new Database(path.join(sqliteDir, 'cairn.db'), { readonly: true });
  const chunks = db
    .prepare(
      'SELECT id, document_id, ordinal, text, char_start, char_end, search_title, search_text FROM chunks ORDER BY rowid LIMIT ?',
    )
    .all(limit) as ChunkRow[];
  const ids = [...new Set(chunks.map((c) => c.document_id))];
  const read = db.prepare('SELECT id, source, title, content_hash, text FROM documents WHERE id = ?');
  const docs = ids.map((id) => read.get(id) as DocRow);
  db.close();
  return { docs, chunks };
}

async function createSchema(client: pg.Client): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.query(`CREATE SCHEMA ${SCHEMA}`);
  await client.query(`SET search_path TO ${SCHEMA}, public`);
  for (const file of ['0001_init.sql', '0002_search.sql']) await client.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
  const now = new Date().toISOString();
  await client.query('INSERT INTO collections (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2)', ['capacity', now]);
}

const INSERT_CHUNKS = `INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, search_title, search_text)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[])
  RETURNING rowid`;
const INSERT_VECTORS = `INSERT INTO vectors (rowid, collection_id, model_id, dimensions, embedding)
  SELECT r, 'capacity', 'onnx:Xenova/bge-small-en-v1.5', $3, v::vector FROM unnest($1::bigint[], $2::text[]) AS t(r, v)`;

/** One document, its chunks, their vectors and postings in one transaction, as documents.write does. */
async function writeDocument(
  client: pg.Client,
  doc: DocRow,
  chunks: ChunkRow[],
  dims: number,
  random: () => number,
): Promise<void> {
  const now = new Date().toISOString();
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO documents (id, collection_id, source, mime, title, content_hash, text, bytes, chunk_count, created_at, updated_at)
     VALUES ($1, 'capacity', $2, 'text/plain', $3, $4, $5, $6, $7, $8, $8)`,
    [doc.id, doc.source, doc.title, doc.content_hash, doc.text, doc.text.length, chunks.length, now],
  );
  const col = <K extends keyof ChunkRow>(key: K) => chunks.map((c) => c[key]);
  const { rows } = await client.query<{ rowid: string }>(INSERT_CHUNKS, [
    col('id'),
    col('document_id'),
    chunks.map(() => 'capacity'),
    col('ordinal'),
    col('text'),
    col('char_start'),
    col('char_end'),
    col('search_title'),
    col('search_text'),
  ]);
  const rowids = rows.map((r) => Number(r.rowid));
  const vectors = rowids.map(() => `[${Array.from({ length: dims }, () => (random() - 0.5).toFixed(6)).join(',')}]`);
  await client.query(INSERT_VECTORS, [rowids, vectors, dims]);
  await writePostings(
    client,
    chunks.map((c, i) => ({
      rowid: rowids[i]!,
      collectionId: 'capacity',
      searchTitle: c.search_title,
      searchText: c.search_text,
    })),
  );
  await client.query('COMMIT');
}

async function tableSizes(client: pg.Client, chunks: number): Promise<Row[]> {
  const { rows } = await client.query<{ name: string; heap: string; toast: string; indexes: string; total: string }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS heap,
            COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast,
            pg_indexes_size(c.oid) AS indexes, pg_total_relation_size(c.oid) AS total
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname IN ('documents', 'chunks', 'vectors', 'bm25_docs', 'bm25_postings')
      ORDER BY pg_total_relation_size(c.oid) DESC`,
    [SCHEMA],
  );
  const per = (bytes: string) => round(Number(bytes) / chunks);
  return rows.map((r) => ({
    table: r.name,
    heap: per(r.heap),
    toast: per(r.toast),
    indexes: per(r.indexes),
    total: per(r.total),
  }));
}

async function bm25Qps(options: SchemaOptions, connections: number): Promise<Row> {
  const pool = new pg.Pool({ connectionString: options.url, max: connections, options: `-c search_path=${SCHEMA},public` });
  try {
    const run = (q: string) => searchBm25Pg(pool, { collectionId: 'capacity', query: q, k: 10 });
    await run(options.questions[0]!);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async (_, k) => {
        for (let i = k; i < options.questions.length; i += connections) await run(options.questions[i]!);
      }),
    );
    const qps = Math.round(options.questions.length / ((performance.now() - started) / 1000));
    return { name: 'pg-bm25-query', chunks: options.chunks, connections, queries: options.questions.length, qps };
  } finally {
    await pool.end();
  }
}

export async function measureSchema(options: SchemaOptions): Promise<Row[]> {
  const { docs, chunks } = readFolder(options.sqliteDir, options.chunks);
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  try {
    await createSchema(client);
    options.log(`postgres schema: writing ${chunks.length} chunks in ${docs.length} documents`);
    const random = createRandom(3);
    const started = performance.now();
    for (const doc of docs)
      await writeDocument(
        client,
        doc,
        chunks.filter((c) => c.document_id === doc.id),
        options.dims,
        random,
      );
    const seconds = (performance.now() - started) / 1000;
    const postings = Number((await client.query('SELECT count(*) AS n FROM bm25_postings')).rows[0].n);
    for (const table of ['documents', 'chunks', 'vectors', 'bm25_docs', 'bm25_postings'])
      await client.query(`VACUUM ANALYZE ${table}`);
    const rows: Row[] = [
      {
        name: 'pg-schema-write',
        chunks: chunks.length,
        dims: options.dims,
        seconds: round(seconds),
        chunksPerSecond: Math.round(chunks.length / seconds),
        postingsPerChunk: round(postings / chunks.length),
        bytesPerChunk: await tableSizes(client, chunks.length),
      },
    ];
    for (const connections of [1, 2]) rows.push(await bm25Qps(options, connections));
    if (!options.keep) await client.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
    return rows;
  } finally {
    await client.end();
  }
}
