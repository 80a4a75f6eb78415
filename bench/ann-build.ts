/**
 * The real hnsw build path at scale: vectors in a SQLite store, built by the background builder.
 *
 *   npm run bench -- ann-build [--n 1000000] [--dims 384] [--queries 300] [--threads 2]
 *                              [--data-dir /tmp/cairn-ann-build] [--keep] [--prepare-only] [--server-priority]
 *
 * 1. Store (skipped when --data-dir already holds n vectors): clustered unit vectors (the Gaussian
 *    mixture of bench/ann: √n/2 centres, spread 0.6) written through store.documents.write in
 *    documents of 100 chunks, as ingest writes them. Held-out queries from the same mixture and
 *    their exact top 10 (batch by batch, the flat index over each batch) go to truth.json.
 * 2. Build, in a fresh child process so its peak RSS is the build's alone: the thread builder a server
 *    runs (build worker, vectors streamed from the store in batches, index.buildThreads), then the
 *    save. Reports wall seconds, process.resourceUsage().maxRSS (worker threads included) and the
 *    RSS sampled every second (when the peak came).
 * 3. Recall@10 of the saved index (loaded here) at the default ef and at ef 64, against truth.json.
 * JSON on stdout (the project's bench shape), progress on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, parseConfig } from '../core/index.ts';
import { createFlatIndex, createThreadBuilder, loadVectorIndex } from '../indexer/ann/index.ts';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { indexPaths, readManifest } from '../indexer/ann/manifest.ts';
import { buildNativeHnsw } from '../indexer/ann/native-build.ts';
import { openStore, type Store } from '../store/index.ts';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    dims: { type: 'string', default: '384' },
    queries: { type: 'string', default: '300' },
    threads: { type: 'string', default: '2' },
    'data-dir': { type: 'string', default: '/tmp/cairn-ann-build' },
    keep: { type: 'boolean', default: false },
    /** Only write the store and truth.json (slow on a busy machine; the build can wait for a quiet one). */
    'prepare-only': { type: 'boolean', default: false },
    /**
     * The build thread lowers its priority (nice 10) so searches come first. That costs nothing on an
     * idle machine but stretches the build many times over on one shared with other jobs; by default
     * the bench puts the build's threads back at nice 0. --server-priority keeps nice 10.
     */
    'server-priority': { type: 'boolean', default: false },
    /** Internal: run only the build (the child process). */
    phase: { type: 'string', default: 'all' },
  },
});
const N = Number(flags.n);
const D = Number(flags.dims);
const Q = Number(flags.queries);
const K = 10;
const PER_DOC = 100;
const BATCH = 10_000;
const COLLECTION = 'annbuild';
const MODEL = 'synthetic-384';
const dataDir = path.resolve(flags['data-dir']);
const truthFile = path.join(dataDir, 'truth.json');
const log = (line: string) => process.stderr.write(`[bench ann-build] ${line}\n`);
const indexConfig = (threads: number) => parseConfig({ dataDir, index: { buildThreads: threads } }).index;

interface Truth {
  n: number;
  dims: number;
  queries: number[][];
  labels: number[][];
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Draws from the mixture of bench/ann (centres fixed by the seed), one unit vector at a time. */
function mixture(n: number, seed: number) {
  const random = createRandom(seed);
  const clusters = Math.max(10, Math.round(Math.sqrt(n) / 2));
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: D }, () => gaussian(random)));
  const scale = 1 / Math.sqrt(D);
  return (): Float32Array => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const v = new Float32Array(D);
    let sum = 0;
    for (let j = 0; j < D; j++) {
      v[j] = centre[j]! * scale + 0.6 * gaussian(random) * scale;
      sum += v[j]! * v[j]!;
    }
    const length = Math.sqrt(sum);
    for (let j = 0; j < D; j++) v[j]! /= length;
    return v;
  };
}

function writeDocument(store: Store, doc: number, vectors: Float32Array[]): number[] {
  const id = `${COLLECTION}-doc-${doc}`;
  const chunks = vectors.map((_, j) => {
    const text = `chunk ${j} of document ${doc}`;
    return {
      id: `${id}-${j}`,
      ordinal: j,
      text,
      start: 0,
      end: text.length,
      page: null,
      headings: [],
      tokenCount: 5,
      metadata: {},
    };
  });
  const meta = { mime: 'text/plain', title: id, language: 'en', contentHash: id, pages: [], metadata: {}, tags: [] };
  const text = chunks.map((c) => c.text).join('\n\n');
  const result = store.documents.write(
    { id, collectionId: COLLECTION, source: `mem://${id}`, text, bytes: text.length, ...meta },
    chunks,
    { modelId: MODEL, dimensions: D, vectors },
  );
  return result.chunkRowids;
}

/** Merges a batch's top k into each query's running top k. */
function mergeTruth(
  best: { label: number; score: number }[][],
  queries: Float32Array[],
  labels: number[],
  vectors: Float32Array[],
) {
  const flat = createFlatIndex({ dimensions: D, metric: 'cosine', capacity: labels.length });
  flat.add(labels, vectors);
  queries.forEach((q, i) => {
    best[i] = [...best[i]!, ...flat.search(q, K)].sort((a, b) => b.score - a.score).slice(0, K);
  });
}

function prepare(): Truth {
  if (existsSync(truthFile)) {
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Truth;
    if (truth.n === N && truth.dims === D && truth.queries.length >= Q) return truth;
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const store = openStore({ dataDir });
  store.collections.create({ name: COLLECTION });
  const next = mixture(N, 1);
  const queries = Array.from({ length: Q }, next);
  const best: { label: number; score: number }[][] = queries.map(() => []);
  const started = performance.now();
  for (let from = 0; from < N; from += BATCH) {
    const vectors = Array.from({ length: Math.min(BATCH, N - from) }, next);
    const labels: number[] = [];
    for (let at = 0; at < vectors.length; at += PER_DOC) {
      labels.push(...writeDocument(store, (from + at) / PER_DOC, vectors.slice(at, at + PER_DOC)));
    }
    mergeTruth(best, queries, labels, vectors);
    if ((from / BATCH) % 10 === 0)
      log(`stored ${from + vectors.length} vectors (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  store.close();
  const truth = { n: N, dims: D, queries: queries.map((q) => Array.from(q)), labels: best.map((b) => b.map((h) => h.label)) };
  writeFileSync(truthFile, JSON.stringify(truth));
  log(`store and truth ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return truth;
}

/**
 * Every thread of this process back at nice 0 (threads started later inherit it from their parent
 * thread); records each thread's CPU ticks so far (utime + stime, 1/100 s).
 */
function visitThreads(ticks: Map<number, number>): void {
  if (process.platform !== 'linux') return;
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      if (!flags['server-priority']) setPriority(tid, 0);
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // A thread that has just ended, or no right to raise priority: the build stays niced.
    }
  }
}

/**
 * CPU seconds of the build's JavaScript thread: the longest-running thread after the main one (the
 * insert threads last one batch each). What it spends outside the inserts is the serial part.
 */
function buildThreadSeconds(ticks: Map<number, number>): number {
  const others = [...ticks].filter(([tid]) => tid !== process.pid).map(([, t]) => t);
  return Math.max(0, ...others) / 100;
}

/** The child: one build as the server runs it, with its RSS over time. */
async function buildPhase(): Promise<void> {
  const store = openStore({ dataDir });
  const threads = Number(flags.threads);
  const builder = createThreadBuilder({ store, dataDir, config: indexConfig(threads), logger: createLogger({ level: 'warn' }) });
  const samples: [number, number][] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const ticks = new Map<number, number>();
  const sample = () => {
    visitThreads(ticks);
    samples.push([Math.round((performance.now() - started) / 1000), Math.round(process.memoryUsage().rss / 2 ** 20)]);
  };
  const timer = setInterval(sample, 1000);
  const result = await builder.build({ collectionId: COLLECTION, modelId: MODEL });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  await builder.close();
  store.close();
  const peak = samples.reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0]);
  const every = Math.max(1, Math.ceil(samples.length / 40));
  process.stdout.write(
    `${JSON.stringify({
      count: result?.count ?? 0,
      buildSeconds: Number(seconds.toFixed(1)),
      // All threads of the process: on a shared machine (the build thread runs at nice 10) wall time
      // also counts the CPU others took; cpuSeconds / threads is the wall time on idle cores.
      cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(1)),
      buildThreadCpuSeconds: buildThreadSeconds(ticks),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      sampledPeakRssMb: peak[1],
      sampledPeakAtSecond: peak[0],
      rssMbBySecond: samples.filter((_, i) => i % every === 0),
    })}\n`,
  );
}

function recallAt(ef: number, truth: Truth): number {
  const paths = indexPaths(dataDir, COLLECTION, MODEL);
  const manifest = readManifest(paths);
  if (!manifest) throw new Error('the build saved no index');
  const config = indexConfig(1);
  const spec = { kind: manifest.kind, dimensions: D, metric: config.metric, fetchVectors: () => [] };
  const index = loadVectorIndex(path.join(paths.folder, manifest.file), spec, config);
  let hit = 0;
  truth.queries.slice(0, Q).forEach((q, i) => {
    const want = new Set(truth.labels[i]);
    for (const h of index.search(Float32Array.from(q), K, { effort: ef })) if (want.has(h.label)) hit++;
  });
  return Number((hit / (Math.min(Q, truth.queries.length) * K)).toFixed(3));
}

function main(): void {
  // The build thread loads the host hnswlib build when it exists: make sure it does.
  log(`host hnswlib build: ${buildNativeHnsw(undefined, log)}`);
  const truth = prepare();
  if (flags['prepare-only']) return;
  rmSync(path.join(dataDir, 'indexes'), { recursive: true, force: true });
  const before = loadavg();
  log(`building ${N} x ${D} with ${flags.threads} thread(s), loadavg ${before.map((l) => l.toFixed(2)).join(' ')}`);
  // Through bin/bench.js, which registers tsx (under `npm run bench` execArgv has no --import tsx).
  const bench = new URL('../bin/bench.js', import.meta.url).pathname;
  const child = spawnSync(process.execPath, [bench, 'ann-build', ...process.argv.slice(2), '--phase', 'build'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the build process failed with ${child.status}`);
  const after = loadavg();
  const build = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  log(`built in ${build.buildSeconds} s, peak RSS ${build.peakRssMb} MB; loadavg ${after.map((l) => l.toFixed(2)).join(' ')}`);
  const config = indexConfig(Number(flags.threads));
  const recalls = Object.fromEntries([64, config.hnswEf].map((ef) => [`recallAtEf${ef}`, recallAt(ef, truth)]));
  const priority = flags['server-priority'] ? 'nice 10 (server)' : 'nice 0';
  const row = { name: 'hnsw-build-from-store', n: N, dims: D, threads: Number(flags.threads), priority, ...build, ...recalls };
  const out = {
    bench: 'ann-build',
    config: {
      m: config.hnswM,
      efConstruction: config.hnswEfConstruction,
      ef: config.hnswEf,
      queries: Math.min(Q, truth.queries.length),
    },
    loadavgBefore: before,
    loadavgAfter: after,
    results: [row],
    ratios: { build_seconds_vs_target_550: Number(((build.buildSeconds as number) / 550).toFixed(2)) },
  };
  if (!flags.keep) rmSync(path.join(dataDir, 'indexes'), { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (flags.phase === 'build') await buildPhase();
else main();
