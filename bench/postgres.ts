/**
 * SQLite (embedded) vs PostgreSQL on BEIR SciFact, in one run:
 *  - ingest chunks/s: the same documents, chunks and precomputed vectors written through each
 *    store's documents.write (one transaction per document; PostgreSQL also writes the BM25 postings
 *    and maintains the HNSW index), with one PostgreSQL instance and with two (two pools, half each);
 *  - BM25 nDCG@10 and queries/s: the embedded in-memory index, BM25 inside PostgreSQL (and how many
 *    queries got identical top-10 ids and scores), and PostgreSQL's ts_rank_cd over a `simple`
 *    tsvector (and an `english` one, title weighted A) for reference;
 *  - dense recall@10 (against exact cosine) and queries/s: the embedded ANN (auto = flat at this
 *    size, and hnsw) vs pgvector HNSW; query vectors precomputed with the static embedder;
 *  - hybrid retrieval p50/p95: BM25 ∥ dense (depth 100 each) and convex fusion, per backend.
 * Queries run one at a time (the machine is shared; best of --passes passes for queries/s); the
 * PostgreSQL BM25 and dense rows are also run with 4 queries in flight (one connection each).
 *   npm run bench -- postgres --url postgres://user@host:port/db [--data folder] [--model folder] [--passes 3] [--keep]
 * A temporary database is created on the server --url names (dropped at the end unless --keep).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { estimateTokens, parseConfig } from '../core/index.ts';
import type { Embedder } from '../models/index.ts';
import { loadStaticEmbedder } from '../models/static-embedder.ts';
import { type BeirData, type BeirDoc, loadBeir } from '../retrieval/eval/beir-data.ts';
import { ensureVectorIndex, pgvectorSupport } from '../retrieval/postgres/index.ts';
import type { NewChunk, NewDocument, NewVectors } from '../store/documents.ts';
import { openStore } from '../store/index.ts';
import { openPostgresStore } from '../store/postgres/index.ts';
import { COLLECTION, createSearchBench, type Row, round, type SqliteStore } from './postgres-search.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    url: { type: 'string' },
    data: { type: 'string', default: path.resolve(ROOT, '../shared/eval/beir-scifact') },
    model: { type: 'string', default: path.resolve(ROOT, '../shared/models/m2v-vq128-bge-base') },
    passes: { type: 'string', default: '3' },
    writers: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});
if (!flags.url) {
  process.stderr.write('usage: npm run bench -- postgres --url postgres://user@host:port/db [--data folder] [--model folder]\n');
  process.exit(2);
}
const passes = Math.max(1, Number(flags.passes));
const writers = Math.max(1, Number(flags.writers));
const log = (m: string) => process.stderr.write(`${m}\n`);
const config = parseConfig({ logLevel: 'error' });
const results: Row[] = [];
function report(row: Row): Row {
  log(JSON.stringify(row));
  results.push(row);
  return row;
}

/** A BEIR document as one chunk, as retrieval/eval/run.ts writes it (the title as the chunk's search title). */
function beirDocument(doc: BeirDoc, collectionId: string, vector: Float32Array, modelId: string) {
  const id = `${collectionId}:${doc.id}`;
  const document: NewDocument = {
    id,
    collectionId,
    source: doc.id,
    mime: 'text/plain',
    title: doc.title,
    language: null,
    contentHash: id,
    text: doc.text,
    pages: [],
    metadata: {},
    tags: [],
    bytes: doc.text.length,
  };
  const chunk: NewChunk = {
    id: `${id}#0`,
    ordinal: 0,
    text: doc.text,
    start: 0,
    end: doc.text.length,
    page: null,
    headings: [],
    tokenCount: estimateTokens(doc.text),
    metadata: {},
    searchTitle: doc.title,
  };
  const vectors: NewVectors = { modelId, dimensions: vector.length, vectors: [vector] };
  return { document, chunks: [chunk], vectors };
}

type Writer = (doc: BeirDoc, vector: Float32Array) => Promise<unknown>;

/** Writes docs with `concurrency` writers at once; returns chunks/s. */
async function ingest(docs: BeirDoc[], vectors: Map<string, Float32Array>, write: Writer, concurrency: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < docs.length) {
      const doc = docs[next++] as BeirDoc;
      await write(doc, vectors.get(doc.id) as Float32Array);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.round(docs.length / ((performance.now() - t) / 1000));
}

async function createDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const name = `cairn_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function main() {
  const data = loadBeir(flags.data as string);
  const embedder: Embedder = await loadStaticEmbedder(flags.model as string, `static:${path.basename(flags.model as string)}`);
  log(
    `${data.name}: ${data.corpus.length} documents, ${data.queries.length} queries; embedder ${embedder.id} (${embedder.dimensions} dims)`,
  );
  const t0 = performance.now();
  const docVectors = new Map<string, Float32Array>();
  for (let i = 0; i < data.corpus.length; i += 256) {
    const slice = data.corpus.slice(i, i + 256);
    const vs = await embedder.embed(
      slice.map((d) => (d.title ? `${d.title}\n${d.text}` : d.text)),
      'passage',
    );
    for (const [j, d] of slice.entries()) docVectors.set(d.id, vs[j] as Float32Array);
  }
  const queryVectors = await embedder.embed(
    data.queries.map((q) => q.text),
    'query',
  );
  log(`embedded corpus and queries in ${Math.round(performance.now() - t0)} ms (not part of any timing below)`);
  const database = await createDatabase(flags.url as string);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-pg-'));
  const sqlite = openStore({ dataDir });
  const pgStore = await openPostgresStore({ url: database.url, poolSize: writers + 2 });
  try {
    return await run(data, embedder, docVectors, queryVectors as Float32Array[], sqlite, pgStore, dataDir, database.url);
  } finally {
    sqlite.close();
    await pgStore.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (flags.keep) log(`kept ${database.url}`);
    else await database.drop();
  }
}

type PgStore = Awaited<ReturnType<typeof openPostgresStore>>;

async function run(
  data: BeirData,
  embedder: Embedder,
  docVectors: Map<string, Float32Array>,
  queryVectors: Float32Array[],
  sqlite: SqliteStore,
  pgStore: PgStore,
  dataDir: string,
  url: string,
) {
  const pool = pgStore.pool;
  const server = await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  const support = await pgvectorSupport(pool);
  log(`PostgreSQL ${server.rows[0]?.v}, pgvector ${support.version} (iterative scans: ${support.iterativeScan})`);
  const modelId = embedder.id;
  const dims = embedder.dimensions;

  // --- ingest ---
  sqlite.collections.create({ name: COLLECTION, settings: { embedder: modelId } });
  const sqliteRate = await ingest(
    data.corpus,
    docVectors,
    async (doc, v) => {
      const w = beirDocument(doc, COLLECTION, v, modelId);
      sqlite.documents.write(w.document, w.chunks, w.vectors);
    },
    1,
  );
  report({
    name: 'sqlite-ingest',
    chunksPerSecond: sqliteRate,
    writers: 1,
    note: 'documents.write per document, vectors precomputed',
  });
  const index = await ensureVectorIndex(pool, modelId, dims, config.store.pgvector);
  log(`pgvector index ${index.name} (created before ingest: HNSW inserts are part of the write)`);
  await pgStore.collections.create({ name: COLLECTION, settings: { embedder: modelId } });
  const pgWrite =
    (store: PgStore, collection: string): Writer =>
    async (doc, v) => {
      const w = beirDocument(doc, collection, v, modelId);
      await store.documents.write(w.document, w.chunks, w.vectors);
    };
  const pgRate = await ingest(data.corpus, docVectors, pgWrite(pgStore, COLLECTION), writers);
  report({
    name: 'postgres-ingest-1-instance',
    chunksPerSecond: pgRate,
    writers,
    note: 'documents.write (chunks, BM25 postings, vectors, HNSW)',
  });
  const second = await openPostgresStore({ url, poolSize: writers + 2, migrate: false });
  try {
    await pgStore.collections.create({ name: 'beir2', settings: { embedder: modelId } });
    const half = Math.ceil(data.corpus.length / 2);
    const t = performance.now();
    await Promise.all([
      ingest(data.corpus.slice(0, half), docVectors, pgWrite(pgStore, 'beir2'), writers),
      ingest(data.corpus.slice(half), docVectors, pgWrite(second, 'beir2'), writers),
    ]);
    const rate = Math.round(data.corpus.length / ((performance.now() - t) / 1000));
    report({
      name: 'postgres-ingest-2-instances',
      chunksPerSecond: rate,
      writers: writers * 2,
      note: 'two pools, half the corpus each, same collection',
    });
    const td = performance.now();
    await pgStore.collections.remove('beir2');
    log(`deleted the second collection (cascade to chunks, postings, vectors) in ${Math.round(performance.now() - td)} ms`);
  } finally {
    await second.close();
  }
  await pool.query('VACUUM ANALYZE');

  const { runSearch } = createSearchBench({ data, config, passes, report, results });
  return await runSearch(data, docVectors, queryVectors, sqlite, pool, dataDir, modelId);
}

const started = loadavg()[0];
const ratios = await main();
process.stdout.write(
  `${JSON.stringify({ bench: 'postgres', dataset: path.basename(flags.data as string), loadavg: { start: round(started ?? 0, 2), end: round(loadavg()[0] ?? 0, 2) }, results, ratios })}\n`,
);
