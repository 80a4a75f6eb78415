/**
 * ANN benchmark: clustered synthetic vectors (Gaussian mixture, unit-normalized), held-out
 * queries, ground truth from exact flat search. Cairn's hnsw (host build when it can be built,
 * else portable) against raw stock hnswlib-node with identical parameters and usearch; ivf with
 * and without SQ8; filtered search at 1%. Options: --n 100000 (--n 1000000 for the big run),
 * --queries 300, --dims 384, --hard-n 30000 (0 skips the harder mixture), --skip-ivf, --seconds 2,
 * --portable (also Cairn's hnsw on the npm build, the fallback where the host build is unavailable),
 * --build-threads 1,2 (hnsw build time and recall per thread count, batches of 8192 as the index
 * builder adds them; ratio hnsw_build_threads_2_vs_1 from the best build per count, so 1,2,1,2
 * alternates rounds), --threads-only (only those rows),
 * --speedup-breakdown (only: host build vs stock by compiler flags and by Float32Array without a copy,
 * bench/ann-speedup.ts; try --n 20000 --queries 500 --seconds 1).
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadHnswBackend } from '../indexer/ann/hnsw-backend.ts';
import { createFlatIndex, createHnswIndex, createIvfIndex, type SearchHit, type VectorIndex } from '../indexer/ann/index.ts';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { buildNativeHnsw } from '../indexer/ann/native-build.ts';
import { speedupBreakdown } from './ann-speedup.ts';

const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    dims: { type: 'string', default: '384' },
    'hard-n': { type: 'string', default: '30000' },
    'skip-ivf': { type: 'boolean', default: false },
    /** Only Cairn's indexes (no stock hnswlib-node or usearch): for the 1M scale check. */
    'ours-only': { type: 'boolean', default: false },
    /** Also measure Cairn's hnsw on the portable (npm) build: the fallback must stay ≥ 0.9x stock. */
    portable: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '2' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    'build-threads': { type: 'string', default: '1,2' },
    'threads-only': { type: 'boolean', default: false },
    'speedup-breakdown': { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const Q = Number(values.queries);
const D = Number(values.dims);
const M = Number(values.m);
const EFC = Number(values['ef-construction']);
const SECONDS = Number(values.seconds);
const K = 10;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Data {
  base: Float32Array[];
  queries: Float32Array[];
  truth: number[][];
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** A mixture of `clusters` Gaussians around random unit centres, spread `spread`, normalized. */
function mixture(n: number, clusters: number, spread: number, seed: number): Float32Array[] {
  const random = createRandom(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: D }, () => gaussian(random)));
  return Array.from({ length: n }, () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const v = Float32Array.from({ length: D }, (_, j) => centre[j]! / Math.sqrt(D) + (spread * gaussian(random)) / Math.sqrt(D));
    const length = Math.hypot(...v);
    return v.map((x) => x / length);
  });
}

function makeData(n: number, spread: number, seed: number): Data {
  const all = mixture(n + Q, Math.max(10, Math.round(Math.sqrt(n) / 2)), spread, seed);
  const base = all.slice(0, n);
  const queries = all.slice(n);
  const flat = createFlatIndex({ dimensions: D, metric: 'cosine', capacity: n });
  flat.add(
    base.map((_, i) => i),
    base,
  );
  let nnCos = 0;
  const truth = queries.map((q) => {
    const hits = flat.search(q, K);
    nnCos += (hits[0]?.score ?? 0) / Q;
    return hits.map((h) => h.label);
  });
  log(`data n=${n} spread=${spread}: mean nearest-neighbour cosine ${nnCos.toFixed(3)}`);
  results.push({ name: `data-${spread}`, n, spread, meanNearestNeighbourCosine: Number(nnCos.toFixed(3)) });
  return { base, queries, truth };
}

function recall(results: number[][], truth: number[][]): number {
  let hit = 0;
  results.forEach((r, i) => {
    const t = new Set(truth[i]);
    for (const label of r) if (t.has(label)) hit++;
  });
  return hit / (truth.length * K);
}

/**
 * Recall over the query set, then queries/s over repeated passes for at least SECONDS: by wall
 * time, and by this process's CPU time (the search is single-threaded), which stays meaningful
 * when other work shares the cores.
 */
function measure(search: (q: Float32Array) => number[], data: Data): { recall: number; qps: number; qpsCpu: number } {
  const results = data.queries.map(search);
  let count = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < SECONDS * 1000) {
    for (const q of data.queries) search(q);
    count += data.queries.length;
  }
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - start) / 1000;
  return {
    recall: recall(results, data.truth),
    qps: Math.round(count / wall),
    qpsCpu: Math.round(count / ((used.user + used.system) / 1e6)),
  };
}

const labelsOf = (hits: SearchHit[]) => hits.map((h) => h.label);
const results: Record<string, unknown>[] = [];

function timeBuild<T>(build: () => T): { value: T; seconds: number } {
  const start = performance.now();
  const value = build();
  return { value, seconds: Number(((performance.now() - start) / 1000).toFixed(1)) };
}

function benchOurs(name: string, index: VectorIndex, data: Data, efforts: number[], extra: Record<string, unknown> = {}) {
  const built = timeBuild(() =>
    index.add(
      data.base.map((_, i) => i),
      data.base,
    ),
  );
  const bytes = index.describe().memoryBytes / data.base.length;
  for (const effort of efforts) {
    const m = measure((q) => labelsOf(index.search(q, K, { effort })), data);
    const nlist = index.kind === 'ivf' ? { nlist: index.describe().params.nlist } : {};
    results.push({ name, effort, ...m, buildSeconds: built.seconds, bytesPerVector: Math.round(bytes), ...nlist, ...extra });
    log(`${name} effort=${effort}: recall ${m.recall.toFixed(3)} qps ${m.qps} build ${built.seconds}s`);
  }
}

/** Raw hnswlib-node as npm builds it, fed number[] as its API requires. */
function buildStock(data: Data) {
  const { HierarchicalNSW } = require('hnswlib-node') as typeof import('hnswlib-node');
  const index = new HierarchicalNSW('cosine', D);
  index.initIndex({ maxElements: data.base.length, m: M, efConstruction: EFC, randomSeed: 100 });
  const built = timeBuild(() =>
    data.base.forEach((v, i) => {
      index.addPoint(Array.from(v), i);
    }),
  );
  return { index, seconds: built.seconds };
}

/** Ours and stock measured alternately at each ef (best of two rounds), so load swings hit both alike. */
function benchHnswPair(tag: string, data: Data, efs: number[]) {
  const ours = createHnswIndex({ dimensions: D, metric: 'cosine', m: M, efConstruction: EFC, capacity: data.base.length });
  log(`${tag || 'main'}: cairn hnsw uses the ${ours.backend.build} build (typed arrays: ${ours.backend.typedArrays})`);
  const oursBuilt = timeBuild(() =>
    ours.add(
      data.base.map((_, i) => i),
      data.base,
    ),
  );
  log(`cairn hnsw built in ${oursBuilt.seconds}s`);
  const stock = buildStock(data);
  log(`stock hnswlib-node built in ${stock.seconds}s`);
  const bytes = Math.round(ours.describe().memoryBytes / data.base.length);
  const portable = values.portable
    ? createHnswIndex({ dimensions: D, m: M, efConstruction: EFC, capacity: data.base.length, backend: { native: 'off' } })
    : null;
  if (portable) {
    const built = timeBuild(() =>
      portable.add(
        data.base.map((_, i) => i),
        data.base,
      ),
    );
    log(`cairn hnsw on the portable build built in ${built.seconds}s`);
  }
  for (const ef of efs) {
    const runOurs = () => measure((q) => labelsOf(ours.search(q, K, { effort: ef })), data);
    const runStock = () => {
      stock.index.setEf(ef);
      return measure((q) => stock.index.searchKnn(Array.from(q), K).neighbors, data);
    };
    const [o1, s1, o2, s2] = [runOurs(), runStock(), runOurs(), runStock()];
    const o = { recall: o1.recall, qps: Math.max(o1.qps, o2.qps), qpsCpu: Math.max(o1.qpsCpu, o2.qpsCpu) };
    const s = { recall: s1.recall, qps: Math.max(s1.qps, s2.qps), qpsCpu: Math.max(s1.qpsCpu, s2.qpsCpu) };
    results.push({
      name: `cairn-hnsw${tag}`,
      effort: ef,
      ...o,
      buildSeconds: oursBuilt.seconds,
      bytesPerVector: bytes,
      build: ours.backend.build,
    });
    results.push({ name: `stock-hnswlib-node${tag}`, effort: ef, ...s, buildSeconds: stock.seconds });
    if (portable) {
      // Paired with stock like the host build: portable, stock, portable, stock; best of each.
      const runPortable = () => measure((q) => labelsOf(portable.search(q, K, { effort: ef })), data);
      const [p1, t1, p2, t2] = [runPortable(), runStock(), runPortable(), runStock()];
      const p = { recall: p1.recall, qps: Math.max(p1.qps, p2.qps), qpsCpu: Math.max(p1.qpsCpu, p2.qpsCpu) };
      const t = { qps: Math.max(t1.qps, t2.qps), qpsCpu: Math.max(t1.qpsCpu, t2.qpsCpu) };
      results.push({ name: `stock-hnswlib-node-paired-with-portable${tag}`, effort: ef, recall: t1.recall, ...t });
      results.push({ name: `cairn-hnsw-portable${tag}`, effort: ef, ...p });
      log(`ef=${ef}: cairn on the portable build qps ${p.qps} (cpu ${p.qpsCpu})`);
    }
    log(
      `ef=${ef}: cairn recall ${o.recall.toFixed(3)} qps ${o.qps} (cpu ${o.qpsCpu}) | stock ${s.recall.toFixed(3)} qps ${s.qps} (cpu ${s.qpsCpu})`,
    );
  }
  return ours;
}

/** usearch fixes expansion_search at construction, so it is measured at one ef. */
function benchUsearch(name: string, data: Data, ef: number) {
  const usearch = require('usearch') as {
    Index: new (
      o: Record<string, unknown>,
    ) => {
      add(keys: BigUint64Array, v: Float32Array, threads?: number): void;
      search(v: Float32Array, k: number, threads: number): { keys: BigUint64Array };
    };
  };
  const flatData = new Float32Array(data.base.length * D);
  data.base.forEach((v, i) => {
    flatData.set(v, i * D);
  });
  const built = timeBuild(() => {
    const index = new usearch.Index({
      metric: 'cos',
      connectivity: M,
      dimensions: D,
      expansion_add: EFC,
      expansion_search: ef,
      multi: false,
      quantization: 'f32',
    });
    index.add(BigUint64Array.from(data.base.map((_, i) => BigInt(i))), flatData, 1);
    return index;
  });
  const m = measure((q) => Array.from(built.value.search(q, K, 1).keys, Number), data);
  results.push({ name, effort: ef, ...m, buildSeconds: built.seconds });
  log(`${name} ef=${ef}: recall ${m.recall.toFixed(3)} qps ${m.qps} build ${built.seconds}s`);
}

function benchFiltered(index: VectorIndex, data: Data) {
  const random = createRandom(7);
  const allowed = new Set(data.base.map((_, i) => i).filter(() => random() < 0.01));
  const flat = createFlatIndex({ dimensions: D, capacity: allowed.size });
  flat.add(
    [...allowed],
    [...allowed].map((i) => data.base[i]!),
  );
  let exact = 0;
  const start = performance.now();
  for (const q of data.queries) {
    const got = labelsOf(index.search(q, K, { filter: allowed }));
    const want = labelsOf(flat.search(q, K));
    if (got.length === K && got.every((label, i) => label === want[i])) exact++;
  }
  const qps = Math.round(data.queries.length / ((performance.now() - start) / 1000));
  results.push({ name: 'cairn-hnsw-filter-1pct', allowed: allowed.size, exactQueries: exact / data.queries.length, qps });
  log(`filtered 1%: ${exact}/${data.queries.length} queries returned exactly the k best allowed`);
}

/** Cairn's hnsw alone, for scale runs where building the peers too would double the time. */
function benchHnswAlone(tag: string, data: Data, efs: number[]): VectorIndex {
  const ours = createHnswIndex({ dimensions: D, metric: 'cosine', m: M, efConstruction: EFC, capacity: data.base.length });
  benchOurs(`cairn-hnsw${tag}`, ours, data, efs);
  return ours;
}

function runSet(tag: string, data: Data, withPeers: boolean) {
  const ours = values['ours-only'] ? benchHnswAlone(tag, data, [16, 32, 64, 128]) : benchHnswPair(tag, data, [16, 32, 64, 128]);
  if (tag === '') benchFiltered(ours, data);
  if (withPeers) benchUsearch(`usearch${tag}`, data, 64);
  if (values['skip-ivf']) return;
  const ivf = createIvfIndex({ dimensions: D, metric: 'cosine', quantize: false, minTrainSize: 1 });
  benchOurs(`cairn-ivf${tag}`, ivf, data, [8, 16, 32, 64]);
  const source = (labels: number[]) => labels.map((i) => data.base[i] ?? null);
  const sq8 = createIvfIndex({ dimensions: D, metric: 'cosine', quantize: true, minTrainSize: 1, fetchVectors: source });
  benchOurs(`cairn-ivf-sq8${tag}`, sq8, data, [8, 16, 32, 64], { floatsIn: 'vector source (SQLite in Cairn; an array here)' });
}

/** Build time per thread count at equal parameters, with the recall each build reaches. */
function benchBuildThreads(data: Data, counts: number[]): void {
  const labels = data.base.map((_, i) => i);
  for (const threads of counts) {
    const index = createHnswIndex({
      dimensions: D,
      metric: 'cosine',
      m: M,
      efConstruction: EFC,
      capacity: N,
      buildThreads: threads,
    });
    const load = loadavg()[0]!;
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < labels.length; i += 8192) index.add(labels.slice(i, i + 8192), data.base.slice(i, i + 8192));
    const built = { seconds: Number(((performance.now() - start) / 1000).toFixed(2)) };
    const used = process.cpuUsage(cpu);
    const recalls = Object.fromEntries(
      [64, 128].map((ef) => [
        `recallAtEf${ef}`,
        recall(
          data.queries.map((q) => labelsOf(index.search(q, K, { effort: ef }))),
          data.truth,
        ),
      ]),
    );
    const cpuSeconds = Number(((used.user + used.system) / 1e6).toFixed(1));
    results.push({
      name: 'cairn-hnsw-build-threads',
      threads,
      buildSeconds: built.seconds,
      cpuSeconds,
      ...recalls,
      loadavg1mBefore: load,
      build: index.backend.build,
    });
    log(
      `hnsw build with ${threads} thread(s): ${built.seconds}s wall, ${cpuSeconds}s cpu, recall@ef128 ${recalls.recallAtEf128}`,
    );
  }
}

/** Best (shortest) build per thread count: `--build-threads 1,2,1,2` alternates rounds, so a load swing hits both. */
function threadRatio(): Record<string, number> {
  const rows = (threads: number) => results.filter((r) => r.name === 'cairn-hnsw-build-threads' && r.threads === threads);
  const seconds = (threads: number) => Math.min(...rows(threads).map((r) => r.buildSeconds as number));
  const [one, two] = [seconds(1), seconds(2)];
  return Number.isFinite(one) && Number.isFinite(two) ? { hnsw_build_threads_2_vs_1: Number((one / two).toFixed(2)) } : {};
}

function best(name: string, minRecall: number, key: 'qps' | 'qpsCpu'): number {
  const rows = results.filter((r) => r.name === name && (r.recall as number) >= minRecall);
  return Math.max(0, ...rows.map((r) => r[key] as number));
}

let hostAddon: string | null = null;
try {
  const started = timeBuild(() => buildNativeHnsw(undefined, log));
  hostAddon = started.value;
  log(`host hnswlib build ready (${started.seconds}s)`);
} catch (error) {
  log(`host build unavailable, comparing the portable build: ${(error as Error).message.slice(0, 300)}`);
}
loadHnswBackend({ logger: { debug: log, info: log, warn: log, error: log } });
log(`generating ${N} x ${D} vectors and ground truth`);
const mainData = makeData(N, 0.6, 1);
const threadCounts = values['build-threads']
  .split(',')
  .filter(Boolean)
  .map((t) => Number(t));
const only = values['threads-only'] || values['speedup-breakdown'];
const shape = { dims: D, m: M, efConstruction: EFC, k: K, hostAddon, log };
const speedup = values['speedup-breakdown'] ? speedupBreakdown(mainData, (s) => measure(s, mainData), shape) : null;
results.push(...(speedup?.rows ?? []));
if (!only) runSet('', mainData, !values['ours-only']);
const hardN = Number(values['hard-n']);
if (hardN > 0 && !only) runSet('-hard', makeData(hardN, 1.0, 2), false);
if (threadCounts.length > 0 && !values['speedup-breakdown']) benchBuildThreads(mainData, threadCounts);

const ratios: Record<string, number> = { ...threadRatio(), ...speedup?.ratios };
for (const r of [0.95, 0.99]) {
  for (const key of ['qps', 'qpsCpu'] as const) {
    const suffix = key === 'qps' ? '' : '_cpu_time';
    const portable = best('cairn-hnsw-portable', r, key);
    if (portable > 0)
      ratios[`cairn_hnsw_portable_vs_stock_at_recall_${r}${suffix}`] = Number(
        (portable / best('stock-hnswlib-node-paired-with-portable', r, key)).toFixed(2),
      );
    for (const peer of ['stock-hnswlib-node', 'usearch', 'stock-hnswlib-node-hard']) {
      const ours = best(peer.endsWith('-hard') ? 'cairn-hnsw-hard' : 'cairn-hnsw', r, key);
      const theirs = best(peer, r, key);
      if (theirs > 0)
        ratios[`cairn_hnsw_vs_${peer.replaceAll('-', '_')}_at_recall_${r}${suffix}`] = Number((ours / theirs).toFixed(2));
    }
  }
}
const flatBytes = D * 4 + 8 + 40;
const sq8Row = results.find((r) => r.name === 'cairn-ivf-sq8');
if (sq8Row) ratios.ivf_sq8_memory_vs_flat = Number(((sq8Row.bytesPerVector as number) / flatBytes).toFixed(2));
results.push({ name: 'process', peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
process.stdout.write(
  `${JSON.stringify({ bench: 'ann', n: N, dims: D, queries: Q, m: M, efConstruction: EFC, loadavg: loadavg(), results, ratios })}\n`,
);
