/**
 * Scale: N chunks end to end on one machine (the target is 1 M).
 *
 *   node --import tsx bench/scale.ts [--chunks 1000000] [--queries 200] [--model <static model folder>]
 *                                    [--data-dir <folder, kept>] [--seconds 10] [--reuse]
 *
 * --reuse with --data-dir measures steps 3, 5 and 6 on a folder an earlier run left (its saved
 * indexes load; no ingest, no rebuild).
 *
 * 1. Ingest: SQuAD paragraphs cut into chunks of 2–3 sentences, repeated with variation (a few
 *    words from the corpus vocabulary swapped in per chunk, so repeats are not duplicates),
 *    embedded with the static (model2vec) embedder and written through the store in documents of
 *    100 chunks. The loaders and splitters are not part of this run (bench/ingest measures them).
 * 2. Index: the background build of the dense index (what a server does after such an ingest).
 * 3. Search: BM25, dense and hybrid over SQuAD questions, no reranker, rows named after the mode.
 *    The questions are embedded before the clock starts, so p50/p99 and queries/s (over --seconds
 *    per mode) exclude the model call. (Subtracting the embedding's wall time instead would also
 *    subtract the BM25 work that runs while it is pending.)
 * 4. During a rebuild: 12% more chunks written, then dense searches until the background build
 *    that they start has been swapped in (row dense_during_rebuild, p99 against idle dense).
 * 5. Start-up: the hybrid row's BM25 cache (one that saves to the data folder) catches up with
 *    step 4's chunks and is closed, which saves its file, as a server's would. Then a fresh store,
 *    index manager and BM25 cache on the folder, to the first answered hybrid search (both indexes
 *    load their saved files, no rebuild): startup_open_to_first_hybrid_search_s.
 * 6. The real server on the same folder: `node bin/cairn.js serve` (offline, the same static
 *    embedder, a free port), from spawn to the first successful hybrid search over HTTP
 *    (startup_http_server_to_first_hybrid_search_s), and the server process's peak RSS (VmHWM,
 *    its search workers included).
 * Peak RSS of the process (worker threads included) and the data folder's size. JSON on stdout.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, parseConfig } from '../core/index.ts';
import { type AnnManager, collectionFolder, createAnnManager } from '../indexer/ann/index.ts';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { createModelRegistry, type Embedder } from '../models/index.ts';
import { createLexicalIndexCache, type LexicalIndexCache, search, sqliteSearchDeps } from '../retrieval/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { serverStartup } from './scale-server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    chunks: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '200' },
    model: { type: 'string', default: path.resolve(ROOT, '../shared/models/m2v-vq128-bge-base') },
    squad: { type: 'string', default: path.resolve(ROOT, '../shared/eval/squad/dev-v1.1.json') },
    'data-dir': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    /** Measure searches and start-up on a folder a previous run left (--data-dir): no ingest, no rebuild. */
    reuse: { type: 'boolean', default: false },
  },
});
const CHUNKS = Number(flags.chunks);
const PER_DOC = 100;
const COLLECTION = 'scale';
const log = (line: string) => process.stderr.write(`[bench scale] ${line}\n`);
const logger = createLogger({ level: 'warn' });
const dataDir = flags['data-dir'] ?? mkdtempSync(path.join(os.tmpdir(), 'cairn-scale-'));
const config = parseConfig({ dataDir, logLevel: 'warn', models: { embedder: `static:${flags.model}` } });

interface Squad {
  data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
}

function corpus(): { passages: string[][]; vocabulary: string[]; questions: string[] } {
  const squad = JSON.parse(readFileSync(flags.squad, 'utf8')) as Squad;
  const paragraphs = squad.data.flatMap((a) => a.paragraphs);
  const passages = paragraphs.map((p) => p.context.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0));
  const vocabulary = [...new Set(paragraphs.flatMap((p) => p.context.toLowerCase().match(/[a-z]{4,}/g) ?? []))];
  const questions = paragraphs.flatMap((p) => p.qas.map((q) => q.question));
  return { passages, vocabulary, questions };
}

/** Chunk i: 2–3 sentences of a paragraph, with three vocabulary words swapped in. */
function chunkText(i: number, data: ReturnType<typeof corpus>, random: () => number): string {
  const sentences = data.passages[i % data.passages.length]!;
  const start = Math.floor(random() * sentences.length);
  const words = sentences
    .slice(start, start + 2 + (i % 2))
    .join(' ')
    .split(' ');
  for (let s = 0; s < 3 && words.length > 3; s++) {
    words[Math.floor(random() * words.length)] = data.vocabulary[Math.floor(random() * data.vocabulary.length)]!;
  }
  return words.join(' ');
}

async function ingestAll(store: Store, embedder: Embedder, data: ReturnType<typeof corpus>, from = 0, to = CHUNKS) {
  const random = createRandom(1 + from);
  const started = performance.now();
  for (let doc = from / PER_DOC; doc * PER_DOC < to; doc++) {
    const count = Math.min(PER_DOC, to - doc * PER_DOC);
    const texts = Array.from({ length: count }, (_, j) => chunkText(doc * PER_DOC + j, data, random));
    const vectors = await embedder.embed(texts, 'passage');
    writeDocument(store, doc, texts, embedder, vectors);
    if (doc % 500 === 0) log(`ingested ${doc * PER_DOC + count} chunks`);
  }
  return (performance.now() - started) / 1000;
}

function writeDocument(store: Store, doc: number, texts: string[], embedder: Embedder, vectors: Float32Array[]): void {
  const id = `${COLLECTION}-doc-${doc}`;
  const text = texts.join('\n\n');
  let offset = 0;
  const chunks = texts.map((chunk, j) => {
    const start = offset;
    offset += chunk.length + 2;
    const at = { start, end: start + chunk.length, page: null, headings: [], tokenCount: 0, metadata: {} };
    return { id: `${id}-${j}`, ordinal: j, text: chunk, ...at };
  });
  const meta = { mime: 'text/plain', title: id, language: 'en', contentHash: id, pages: [], metadata: {}, tags: [] };
  store.documents.write({ id, collectionId: COLLECTION, source: `mem://${id}`, text, bytes: text.length, ...meta }, chunks, {
    modelId: embedder.id,
    dimensions: embedder.dimensions,
    vectors,
  });
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(2));
}

type Deps = Parameters<typeof search>[0];

/**
 * The embedder with the benchmark's queries embedded up front: search() starts the query embedding
 * and runs BM25 while it is pending, so subtracting the embedding's wall time would also subtract
 * BM25's. With the vectors ready, a search's total time is its time without model calls.
 */
async function precomputed(embedder: Embedder, queries: string[]): Promise<Embedder> {
  const vectors = await embedder.embed(queries, 'query');
  const cache = new Map(queries.map((q, i) => [q, vectors[i]!]));
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    maxTokens: embedder.maxTokens,
    maxPassageTokens: embedder.maxPassageTokens,
    async embed(texts, role) {
      const hits = texts.map((t) => (role === 'query' ? cache.get(t) : undefined));
      return hits.every((v) => v !== undefined) ? (hits as Float32Array[]) : embedder.embed(texts, role);
    },
  };
}

async function measureMode(deps: Deps, mode: 'bm25' | 'dense' | 'hybrid', questions: string[]) {
  const request = (query: string) => ({ collection: COLLECTION, query, mode, k: 8, rerank: false, contextWindow: 0 });
  const latencies: number[] = [];
  // The first search of a mode builds what it caches (the BM25 index's row cache): reported apart.
  const first = await search(deps, request(questions[0]!));
  const firstMs = Number((first.timings.total ?? 0).toFixed(2));
  for (const query of questions) {
    const { timings } = await search(deps, request(query));
    latencies.push(timings.total ?? 0);
  }
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < Number(flags.seconds) * 1000) {
    await search(deps, request(questions[count % questions.length]!));
    count += 1;
  }
  const qps = Math.round(count / ((performance.now() - started) / 1000));
  return {
    name: mode,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
    first_ms: firstMs,
    qps,
  };
}

/** Dense searches, one after another, until the build the first one starts is swapped in. */
async function duringRebuild(deps: Deps, ann: AnnManager, questions: string[], idleP99: number) {
  const latencies: number[] = [];
  const request = (query: string) => ({
    collection: COLLECTION,
    query,
    mode: 'dense' as const,
    k: 8,
    rerank: false,
    contextWindow: 0,
  });
  await search(deps, request(questions[0]!));
  let building = true;
  const done = ann.idle().then(() => {
    building = false;
  });
  const started = performance.now();
  for (let i = 0; building; i++) {
    const { timings } = await search(deps, request(questions[i % questions.length]!));
    latencies.push(timings.total ?? 0);
    // Lets the event loop hear from the builder thread: a search alone only runs microtasks.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const p99 = percentile(latencies, 0.99);
  const rebuildSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
  return {
    name: 'dense_during_rebuild',
    p50_ms: percentile(latencies, 0.5),
    p99_ms: p99,
    searches: latencies.length,
    rebuildSeconds,
    p99_vs_idle: Number((p99 / idleP99).toFixed(2)),
  };
}

/** The cache catches up with the chunks written since its build, then its close saves the file. */
async function saveBm25(lexical: LexicalIndexCache, store: Store) {
  let started = performance.now();
  lexical.get(store, COLLECTION);
  const catchUpSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await lexical.close();
  const saveSeconds = (performance.now() - started) / 1000;
  const file = path.join(collectionFolder(dataDir, COLLECTION), 'bm25.bin');
  const mb = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  log(
    `bm25 file: ${(mb / 1024 / 1024).toFixed(0)} MB, caught up in ${catchUpSeconds.toFixed(1)} s, saved in ${saveSeconds.toFixed(1)} s`,
  );
  return {
    mb: Math.round(mb / 1024 / 1024),
    builds: lexical.builds,
    catchUps: lexical.catchUps,
    saves: lexical.saves,
    catchUpSeconds: Number(catchUpSeconds.toFixed(2)),
    saveSeconds: Number(saveSeconds.toFixed(2)),
  };
}

function folderBytes(folder: string): number {
  return readdirSync(folder, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(folder, entry.name);
    return sum + (entry.isDirectory() ? folderBytes(full) : statSync(full).size);
  }, 0);
}

async function main() {
  const found = await createModelRegistry({ config, logger }).embedder(`static:${flags.model}`);
  if (!found.ok) throw new Error(`static embedder ${flags.model}: ${found.code} ${found.reason}`);
  const embedder = found.model;
  const data = corpus();
  const questions = data.questions.slice(0, Number(flags.queries));
  let store = openStore({ dataDir });
  store.collections.ensure({ name: COLLECTION });
  const reuse = flags.reuse && store.chunks.changeStamp(COLLECTION).count > 0;
  log(reuse ? `reusing ${dataDir}` : `ingesting ${CHUNKS} chunks into ${dataDir} (${embedder.dimensions}-d ${embedder.id})`);
  const ingestSeconds = reuse ? null : await ingestAll(store, embedder, data);
  let ann = createAnnManager({ store, dataDir, config: config.index, logger });
  const queryEmbedder = await precomputed(embedder, questions);
  // A reused folder's rows load its saved BM25 file; a fresh run's build their index.
  const fresh = () => (reuse ? createLexicalIndexCache({ dataDir, saveDelayMs: 2 ** 31 - 1 }) : createLexicalIndexCache());
  const deps = (lexical: LexicalIndexCache = fresh()): Deps => ({
    ...sqliteSearchDeps({ store, ann, lexical }),
    config,
    embedder: queryEmbedder,
    reranker: null,
  });
  const indexStarted = performance.now();
  await ann.get(COLLECTION, embedder.id);
  await ann.idle();
  const indexSeconds = (performance.now() - indexStarted) / 1000;
  const index = await ann.get(COLLECTION, embedder.id);
  // Read now: the index object follows the writes made later in this run.
  const built = { kind: index?.kind ?? null, size: index?.size() ?? 0 };
  log(`index: ${built.kind} of ${built.size} in ${indexSeconds.toFixed(1)} s`);
  const rows = [];
  // The hybrid row's BM25 cache saves to the data folder as a server's does, but only when closed:
  // never a save in the middle of a measurement.
  const saving = createLexicalIndexCache({ dataDir, saveDelayMs: 2 ** 31 - 1 });
  for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
    rows.push(await measureMode(deps(mode === 'hybrid' ? saving : undefined), mode, questions));
  }
  if (!reuse) {
    const extra = Math.ceil((CHUNKS * 0.12) / PER_DOC) * PER_DOC;
    const end = Math.ceil(CHUNKS / PER_DOC) * PER_DOC;
    await ingestAll(store, embedder, data, end, end + extra);
    const idleDense = rows.find((row) => row.name === 'dense')!.p99_ms;
    rows.push(await duringRebuild(deps(), ann, questions, idleDense));
  }
  const bm25File = await saveBm25(saving, store);
  await ann.close();
  store.close();

  const opened = performance.now();
  store = openStore({ dataDir });
  ann = createAnnManager({ store, dataDir, config: config.index, logger });
  const lexical = createLexicalIndexCache({ dataDir });
  await search(deps(lexical), {
    collection: COLLECTION,
    query: questions[0]!,
    mode: 'hybrid',
    k: 8,
    rerank: false,
    contextWindow: 0,
  });
  const startupSeconds = (performance.now() - opened) / 1000;
  log(`in-process start-up: ${startupSeconds.toFixed(2)} s (bm25 loads ${lexical.loads}, builds ${lexical.builds})`);
  await lexical.close();
  await ann.close();
  store.close();
  const server = await serverStartup({
    root: ROOT,
    dataDir,
    model: flags.model,
    collection: COLLECTION,
    query: questions[0]!,
    log,
  });
  const result = {
    bench: 'scale',
    config: {
      chunks: CHUNKS,
      dimensions: embedder.dimensions,
      model: embedder.id,
      queries: questions.length,
      loadavg: os.loadavg(),
    },
    ingest:
      ingestSeconds === null
        ? null
        : { seconds: Number(ingestSeconds.toFixed(1)), chunksPerSecond: Math.round(CHUNKS / ingestSeconds) },
    index: { ...built, buildSeconds: Number(indexSeconds.toFixed(1)) },
    results: rows,
    bm25File,
    startup_open_to_first_hybrid_search_s: Number(startupSeconds.toFixed(2)),
    startup_http_server_to_first_hybrid_search_s: server.seconds,
    serverPeakRssMb: server.peakRssMb,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    dataFolderMb: Math.round(folderBytes(dataDir) / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (!flags['data-dir']) rmSync(dataDir, { recursive: true, force: true });
}

await main();
