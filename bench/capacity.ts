/**
 * Capacity: bytes per chunk by structure, the ANN graph's memory, and PostgreSQL + pgvector sizes,
 * build time and queries/s; the constants of docs/scale.md.
 *
 *   node --expose-gc --import tsx bench/capacity.ts [--sqlite-dir <data folder of bench/scale>]
 *        [--sqlite-n 20000] [--hnsw-n 50000 (0 skips)] [--dims 384] [--m 16] [--skip-local]
 *        [--postgres <url>] [--pg-n 100000 (0 skips)] [--pg-ef-construction 64]
 *        [--maintenance-work-mem 1GB] [--queries 100] [--toast-n 20000] [--toast-dims 768]
 *        [--schema-chunks 20000] [--squad <dev-v1.1.json>] [--keep]
 *   (`npm run bench -- capacity …` works too; without --expose-gc the bm25-memory row is skipped.)
 *
 * Local (unless --skip-local):
 * 1. sqlite-folder (with --sqlite-dir): the `dbstat` table of cairn.db by table and index, the index
 *    files, per chunk; distinct analyzed terms per chunk (postings of an inverted index).
 * 2. bm25-memory (with --sqlite-dir): heap and typed-array bytes of the in-memory BM25 index.
 * 3. sqlite-vectors: --sqlite-n chunks with one-word texts and random --dims vectors written through
 *    the store into a temporary folder: the vectors table's bytes per row at that dimension.
 *    sqlite-vector-layouts: the same rows in that table as WITHOUT ROWID (today), as a rowid table,
 *    and WITHOUT ROWID on 8 KB pages.
 * 4. hnsw-memory: Cairn's hnsw index (M --m, efConstruction 200, 2 build threads) of --hnsw-n random
 *    vectors: build time, file size, and the RSS growth of a fresh process loading it, per vector,
 *    beside hnswlib's layout (bench/capacity-model.ts).
 * PostgreSQL (with --postgres; a database of your own, the tables are dropped unless --keep):
 * 5. --pg-n clustered vectors (bench/ann's mixture) in a table shaped like `vectors`: heap, TOAST and
 *    index bytes per row, as vector and halfvec; vector and halfvec HNSW expression indexes built
 *    and timed; queries/s and recall@10 against an exact scan at ef_search 40 and 100 on 1 and 2
 *    connections; a --toast-dims table without index (out-of-line storage).
 * 6. With --sqlite-dir: --schema-chunks chunks of the folder written into the real schema
 *    (migrations/postgres) with vectors and BM25 postings (bench/capacity-schema.ts): bytes per chunk
 *    by table, chunks/s, BM25 queries/s on SQuAD questions.
 * Progress on stderr; one JSON object on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createHnswIndex } from '../indexer/ann/index.ts';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { analyze, buildBm25Index, type LexicalDoc } from '../retrieval/index.ts';
import { openStore } from '../store/index.ts';
import { hnswlibBytesPerElement } from './capacity-model.ts';
import { measurePostgres } from './capacity-postgres.ts';
import { measureSchema } from './capacity-schema.ts';

const { values: flags } = parseArgs({
  options: {
    'sqlite-dir': { type: 'string' },
    'sqlite-n': { type: 'string', default: '20000' },
    'hnsw-n': { type: 'string', default: '50000' },
    dims: { type: 'string', default: '384' },
    m: { type: 'string', default: '16' },
    postgres: { type: 'string' },
    'pg-n': { type: 'string', default: '100000' },
    'pg-ef-construction': { type: 'string', default: '64' },
    'maintenance-work-mem': { type: 'string', default: '1GB' },
    queries: { type: 'string', default: '100' },
    'toast-n': { type: 'string', default: '20000' },
    'toast-dims': { type: 'string', default: '768' },
    'schema-chunks': { type: 'string', default: '20000' },
    squad: { type: 'string', default: path.resolve(import.meta.dirname, '../../shared/eval/squad/dev-v1.1.json') },
    'skip-local': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const DIMS = Number(flags.dims);
const M = Number(flags.m);
const MODEL_ID = 'onnx:Xenova/bge-small-en-v1.5';
const log = (line: string) => process.stderr.write(`[bench capacity] ${line}\n`);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

function randomVectors(count: number, dims: number, seed: number): Float32Array[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: dims }, () => random() - 0.5));
}

interface Stat {
  name: string;
  pages: number;
  bytes: number;
  payload: number;
}

function dbstat(file: string): Stat[] {
  const db = new Database(file, { readonly: true });
  try {
    const sql =
      'SELECT name, COUNT(*) AS pages, SUM(pgsize) AS bytes, SUM(payload) AS payload FROM dbstat GROUP BY name ORDER BY bytes DESC';
    return db.prepare(sql).all() as Stat[];
  } finally {
    db.close();
  }
}

function folderFiles(folder: string, prefix = ''): { file: string; bytes: number }[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    const name = path.join(prefix, entry.name);
    return entry.isDirectory() ? folderFiles(full, name) : [{ file: name, bytes: statSync(full).size }];
  });
}

/** Distinct analyzed terms per chunk = postings per chunk in an inverted index of the lexical fields. */
function postingsPerChunk(db: Database.Database): { chunks: number; postings: number; vocabulary: number } {
  const vocabulary = new Set<string>();
  let chunks = 0;
  let postings = 0;
  for (const row of db.prepare('SELECT search_title, search_text FROM chunks').iterate() as Iterable<{
    search_title: string;
    search_text: string;
  }>) {
    const terms = new Set([...analyze(row.search_title), ...analyze(row.search_text)]);
    for (const term of terms) vocabulary.add(term);
    postings += terms.size;
    chunks += 1;
  }
  return { chunks, postings, vocabulary: vocabulary.size };
}

/** Heap + typed-array bytes held by the in-memory BM25 index of the folder's chunks (needs --expose-gc). */
function bm25Memory(dir: string) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { name: 'bm25-memory', skipped: 'run node with --expose-gc' };
  const db = new Database(path.join(dir, 'cairn.db'), { readonly: true });
  const docs = db
    .prepare('SELECT rowid, search_title AS searchTitle, search_text AS searchText FROM chunks ORDER BY rowid')
    .all() as LexicalDoc[];
  db.close();
  const held = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = held();
  const started = performance.now();
  const index = buildBm25Index(docs);
  const seconds = (performance.now() - started) / 1000;
  const bytes = held() - before;
  return { name: 'bm25-memory', chunks: index.size, buildSeconds: round(seconds), bytesPerChunk: Math.round(bytes / index.size) };
}

function sqliteFolder(dir: string) {
  const file = path.join(dir, 'cairn.db');
  const tables = dbstat(file);
  const db = new Database(file, { readonly: true });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const chunks = count('SELECT COUNT(*) AS n FROM chunks');
  const textChars = {
    chunkText: round(count('SELECT AVG(length(text)) AS n FROM chunks')),
    searchText: round(count('SELECT AVG(length(search_text)) AS n FROM chunks')),
    documentTextPerChunk: round(count('SELECT SUM(length(text)) AS n FROM documents') / chunks),
  };
  const lexical = postingsPerChunk(db);
  db.close();
  const files = folderFiles(dir).map((f) => ({ ...f, bytesPerChunk: round(f.bytes / chunks) }));
  const perTable = tables.map((t) => ({ ...t, bytesPerChunk: round(t.bytes / chunks) }));
  return {
    name: 'sqlite-folder',
    chunks,
    textChars,
    tables: perTable,
    files,
    bm25: { postingsPerChunk: round(lexical.postings / lexical.chunks), vocabulary: lexical.vocabulary },
  };
}

function sqliteVectors(count: number, dims: number) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-capacity-'));
  const store = openStore({ dataDir });
  store.collections.ensure({ name: 'capacity' });
  const vectors = randomVectors(count, dims, 7);
  for (let doc = 0; doc * 100 < count; doc++) {
    const id = `capacity-doc-${doc}`;
    const slice = vectors.slice(doc * 100, doc * 100 + 100);
    const chunks = slice.map((_, j) => ({
      id: `${id}-${j}`,
      ordinal: j,
      text: 'x',
      start: 0,
      end: 1,
      page: null,
      headings: [],
      tokenCount: 0,
      metadata: {},
    }));
    const meta = { mime: 'text/plain', title: id, language: 'en', contentHash: id, pages: [], metadata: {}, tags: [] };
    store.documents.write({ id, collectionId: 'capacity', source: `mem://${id}`, text: 'x', bytes: 1, ...meta }, chunks, {
      modelId: MODEL_ID,
      dimensions: dims,
      vectors: slice,
    });
  }
  store.close();
  const stats = dbstat(path.join(dataDir, 'cairn.db')).filter((s) =>
    /^(vectors|vector_changes|sqlite_autoindex_vectors)/.test(s.name),
  );
  rmSync(dataDir, { recursive: true, force: true });
  return {
    name: 'sqlite-vectors',
    n: count,
    dims,
    modelId: MODEL_ID,
    tables: stats.map((s) => ({ ...s, bytesPerRow: round(s.bytes / count) })),
  };
}

function squadQuestions(count: number): string[] {
  const squad = JSON.parse(readFileSync(flags.squad, 'utf8')) as { data: { paragraphs: { qas: { question: string }[] }[] }[] };
  return squad.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.question))).slice(0, count);
}

/**
 * The `vectors` table's bytes per row under other layouts than migration 0001's (WITHOUT ROWID, 4 KB
 * pages), same columns and rows: what a migration to a rowid table or bigger pages would save.
 */
function sqliteLayouts(count: number, dims: number) {
  const layouts = [
    { name: 'without-rowid-4k', pageSize: 4096, suffix: 'WITHOUT ROWID' },
    { name: 'rowid-4k', pageSize: 4096, suffix: '' },
    { name: 'without-rowid-8k', pageSize: 8192, suffix: 'WITHOUT ROWID' },
  ];
  const vectors = randomVectors(count, dims, 13);
  return {
    name: 'sqlite-vector-layouts',
    n: count,
    dims,
    layouts: layouts.map((layout) => {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'cairn-capacity-layout-'));
      const file = path.join(folder, 'v.db');
      const db = new Database(file);
      db.pragma(`page_size = ${layout.pageSize}`);
      db.exec(`CREATE TABLE vectors (chunk_rowid INTEGER NOT NULL, collection_id TEXT NOT NULL, model_id TEXT NOT NULL,
        dimensions INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (chunk_rowid, model_id)) ${layout.suffix}`);
      const insert = db.prepare('INSERT INTO vectors VALUES (?, ?, ?, ?, ?)');
      db.transaction(() => {
        for (const [i, v] of vectors.entries()) insert.run(i + 1, 'capacity', MODEL_ID, dims, Buffer.from(v.buffer));
      })();
      db.close();
      const bytes = dbstat(file).reduce((sum, t) => sum + t.bytes, 0);
      rmSync(folder, { recursive: true, force: true });
      return { layout: layout.name, bytesPerRow: round(bytes / count) };
    }),
  };
}

/** RSS growth of a fresh process loading a saved index: what a shard holds, without build garbage. */
function loadedRssBytes(file: string): number {
  const indexModule = path.resolve(import.meta.dirname, '../indexer/ann/index.ts');
  const code = `const { HnswIndex } = await import(${JSON.stringify(indexModule)});
    const before = process.memoryUsage().rss;
    const index = HnswIndex.load(${JSON.stringify(file)});
    process.stdout.write(String(process.memoryUsage().rss - before) + ' ' + index.size());`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`loading the index in a child process failed: ${child.stderr}`);
  return Number(child.stdout.split(' ')[0]);
}

async function hnswMemory(count: number, dims: number, m: number) {
  const vectors = randomVectors(count, dims, 11);
  const started = performance.now();
  const index = createHnswIndex({ dimensions: dims, metric: 'cosine', m, efConstruction: 200, capacity: count, buildThreads: 2 });
  index.add(
    vectors.map((_, i) => i),
    vectors,
  );
  const seconds = (performance.now() - started) / 1000;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'cairn-capacity-hnsw-'));
  const file = path.join(folder, 'index.hnsw');
  await index.save(file);
  const fileBytes = statSync(`${file}.graph`).size + statSync(file).size;
  const loaded = loadedRssBytes(file);
  rmSync(folder, { recursive: true, force: true });
  return {
    name: 'hnsw-memory',
    n: count,
    dims,
    m,
    efConstruction: 200,
    build: index.backend.build,
    buildThreads: 2,
    buildSeconds: round(seconds),
    fileBytesPerVector: Math.round(fileBytes / count),
    loadedRssBytesPerVector: Math.round(loaded / count),
    describedBytesPerVector: Math.round(index.describe().memoryBytes / count),
    hnswlibLayoutBytesPerVector: hnswlibBytesPerElement(dims, m),
  };
}

function localRows(dir: string | undefined): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  if (dir) {
    log(`sqlite folder ${dir}`);
    rows.push(sqliteFolder(dir), bm25Memory(dir));
  }
  log(`sqlite vectors: ${flags['sqlite-n']} × ${DIMS}`);
  rows.push(sqliteVectors(Number(flags['sqlite-n']), DIMS), sqliteLayouts(Number(flags['sqlite-n']), DIMS));
  return rows;
}

async function postgresRows(url: string, dir: string | undefined): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  if (Number(flags['pg-n']) > 0) {
    const vectors = await measurePostgres({
      url,
      n: Number(flags['pg-n']),
      dims: DIMS,
      m: M,
      efConstruction: Number(flags['pg-ef-construction']),
      maintenanceWorkMem: flags['maintenance-work-mem'],
      queries: Number(flags.queries),
      toast: { n: Number(flags['toast-n']), dims: Number(flags['toast-dims']) },
      keep: flags.keep,
      log,
    });
    rows.push(...vectors);
  }
  if (dir) {
    const questions = squadQuestions(Number(flags.queries) * 2);
    const options = { url, sqliteDir: dir, chunks: Number(flags['schema-chunks']), dims: DIMS, questions };
    rows.push(...(await measureSchema({ ...options, keep: flags.keep, log })));
  }
  return rows;
}

async function main() {
  const results: Record<string, unknown>[] = [];
  const loadavgBefore = os.loadavg();
  if (!flags['skip-local']) {
    results.push(...localRows(flags['sqlite-dir']));
    if (Number(flags['hnsw-n']) > 0) {
      log(`hnsw memory: ${flags['hnsw-n']} × ${DIMS}`);
      results.push(await hnswMemory(Number(flags['hnsw-n']), DIMS, M));
    }
  }
  if (flags.postgres) results.push(...(await postgresRows(flags.postgres, flags['sqlite-dir'])));
  results.push({ name: 'process', peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
  const config = { dims: DIMS, m: M, cpus: os.cpus().length, loadavgBefore, loadavgAfter: os.loadavg() };
  process.stdout.write(`${JSON.stringify({ bench: 'capacity', config, results })}\n`);
}

await main();
