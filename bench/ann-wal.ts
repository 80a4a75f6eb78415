/**
 * What an index build does to the WAL while ingest keeps writing. A build reads every vector of the
 * collection; read as one snapshot (as builds did before vector-pages.ts), SQLite cannot checkpoint
 * past that snapshot, so every write made during the build stays in the WAL. Read a page at a time,
 * checkpoints go on between pages.
 *   npm run bench -- ann-wal [--n 100000] [--dims 64] [--kind hnsw] [--rounds 2] [--write-rate 5000]
 * A writer thread adds documents of 100 chunks (with vectors) to another collection of the same
 * database for the whole build, at up to --write-rate vectors/s, and samples the WAL file after each
 * commit. Sides, alternating: `paged` (the build as the
 * builder runs it) and `snapshot` (the same build inside one read transaction). Each reports build
 * seconds, the WAL's peak size, the vectors the writer added meanwhile, and whether the index came
 * out exact (its labels are the table's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { parseConfig, silentLogger } from '../core/index.ts';
import { createIndexWork } from '../indexer/ann/index-work.ts';
import { indexPaths } from '../indexer/ann/manifest.ts';
import { openStore, type Store } from '../store/index.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '64' },
    kind: { type: 'string', default: 'hnsw' },
    rounds: { type: 'string', default: '2' },
    'write-rate': { type: 'string', default: '5000' },
  },
});
const N = Number(values.n);
const D = Number(values.dims);
const PER_DOC = 100;
const log = (line: string) => process.stderr.write(`[bench ann-wal] ${line}\n`);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Documents `from`..`to` (exclusive) of 100 chunks each, with pseudo-random vectors. */
export function writeDocs(store: Store, collectionId: string, from: number, to: number, dims: number): void {
  for (let i = from; i < to; i++) {
    const id = `${collectionId}-${i}`;
    const chunks = Array.from({ length: PER_DOC }, (_, j) => ({
      id: `${id}-${j}`,
      ordinal: j,
      text: `chunk ${j} of document ${i}`,
      start: 0,
      end: 1,
      page: null,
      headings: [],
      tokenCount: 5,
      metadata: {},
    }));
    const vectors = chunks.map((_, j) =>
      Float32Array.from({ length: dims }, (_, k) => Math.sin(i * 12.9898 + j * 78.233 + k * 3.7)),
    );
    const text = chunks.map((c) => c.text).join(' ');
    const doc = { id, collectionId, source: `mem://${id}`, mime: 'text/plain', title: id, language: null };
    store.documents.write({ ...doc, contentHash: id, text, pages: [], metadata: {}, tags: [], bytes: text.length }, chunks, {
      modelId: 'm',
      dimensions: dims,
      vectors,
    });
  }
}

// The writer: plain JavaScript through the TypeScript loader the bench runs under.
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
(async () => {
  // Worker threads do not inherit the main thread's tsx loader.
  (await import('tsx/esm/api')).register();
  const { openStore } = await import(workerData.storeModule);
  const { writeDocs } = await import(workerData.benchModule);
  const store = openStore({ dataDir: workerData.dataDir });
  const wal = store.file + '-wal';
  let stop = false; let next = workerData.from; let peak = 0;
  parentPort.on('message', () => { stop = true; });
  parentPort.postMessage({ ready: true });
  const started = performance.now();
  while (!stop) {
    writeDocs(store, 'ingest', next, next + 1, workerData.dims);
    next += 1;
    try { peak = Math.max(peak, statSync(wal).size); } catch {}
    // Holds the rate: a document of 100 vectors no sooner than its share of the time.
    const due = started + ((next - workerData.from) * 100 * 1000) / workerData.rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  store.close();
  parentPort.postMessage({ docs: next - workerData.from, peak });
})();`;

async function buildRound(dataDir: string, store: Store, side: 'paged' | 'snapshot', from: number) {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const worker = new Worker(WRITER, {
    eval: true,
    workerData: {
      dataDir,
      dims: D,
      from,
      rate: Number(values['write-rate']),
      storeModule: new URL('../store/index.ts', import.meta.url).href,
      benchModule: import.meta.url,
    },
  });
  const done = new Promise<{ docs: number; peak: number }>((resolve, reject) => {
    worker.on('message', (message) => 'docs' in message && resolve(message));
    worker.once('error', reject);
  });
  await new Promise((resolve) => worker.once('message', resolve));
  const config = parseConfig({ index: { kind: values.kind } }).index;
  const work = createIndexWork({ store, config, logger: silentLogger });
  const paths = indexPaths(dataDir, 'wal', 'm');
  const started = performance.now();
  const build = () => work.refresh(null, 'wal', 'm', paths);
  const entry = side === 'paged' ? build() : store.db.transaction(build)();
  const seconds = (performance.now() - started) / 1000;
  worker.postMessage('stop');
  const writer = await done;
  await worker.terminate();
  // Exact at the end: the index holds what the table holds once the writer's last changes are in.
  const exact = entry !== null && work.catchUp(entry) && entry.index.size() === store.vectors.count('wal', 'm');
  return { seconds, walPeakMb: writer.peak / 2 ** 20, added: writer.docs * PER_DOC, exact, docs: writer.docs };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-wal-'));
  const store = openStore({ dataDir });
  try {
    store.collections.ensure({ name: 'wal' });
    store.collections.ensure({ name: 'ingest' });
    const t0 = performance.now();
    const docs = Math.ceil(N / PER_DOC);
    for (let i = 0; i < docs; i += 100) store.db.transaction(() => writeDocs(store, 'wal', i, Math.min(docs, i + 100), D))();
    log(`wrote ${docs * PER_DOC} vectors of ${D} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let next = 0;
    const runs: Record<'paged' | 'snapshot', Awaited<ReturnType<typeof buildRound>>[]> = { paged: [], snapshot: [] };
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const side of r % 2 === 0 ? (['paged', 'snapshot'] as const) : (['snapshot', 'paged'] as const)) {
        const run = await buildRound(dataDir, store, side, next);
        next += run.docs;
        log(
          `${side}: ${run.seconds.toFixed(1)} s, WAL peak ${run.walPeakMb.toFixed(1)} MB, ${run.added} vectors added meanwhile`,
        );
        runs[side].push(run);
      }
    }
    const row = (side: 'paged' | 'snapshot') => {
      const all = runs[side];
      return {
        name: side,
        build_s: round(Math.min(...all.map((r) => r.seconds)), 2),
        wal_peak_mb: round(Math.max(...all.map((r) => r.walPeakMb)), 1),
        wal_peak_mb_per_round: all.map((r) => round(r.walPeakMb, 1)),
        vectors_added_during_build: all.map((r) => r.added),
        exact: all.every((r) => r.exact),
      };
    };
    const [paged, snapshot] = [row('paged'), row('snapshot')];
    const output = {
      bench: 'ann-wal',
      n: docs * PER_DOC,
      dims: D,
      write_rate_vectors_per_s: Number(values['write-rate']),
      kind: values.kind,
      results: [paged, snapshot],
      ratios: {
        snapshot_vs_paged_wal_peak: round(snapshot.wal_peak_mb / paged.wal_peak_mb, 2),
        paged_vs_snapshot_build_speed: round(snapshot.build_s / paged.build_s),
      },
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
