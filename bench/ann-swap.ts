/**
 * What a search thread pays to swap in a newly built hnsw file: the thread's longest stall while
 * the file loads, read in the thread (`loadVectorIndex`, as every swap did before) or with the graph
 * read on libuv's thread pool (`loadVectorIndexAsync`, what the ANN manager swaps with now).
 *   npm run bench -- ann-swap [--n 200000] [--dims 64] [--rounds 3]
 * Builds and saves one hnsw index of n random vectors, then loads it `rounds` times each way,
 * alternating, while a 1 ms timer measures how late the event loop runs it (the stall a search
 * arriving then would wait). Reports per side the least load time and the largest stall of its
 * rounds; the ratio is the synchronous load's stall over the asynchronous one's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createHnswIndex, loadVectorIndex, loadVectorIndexAsync } from '../indexer/ann/index.ts';
import { createRandom } from '../indexer/ann/kmeans.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    dims: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.n);
const D = Number(values.dims);
const log = (line: string) => process.stderr.write(`[bench ann-swap] ${line}\n`);
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/** Runs `load` while a 1 ms timer records the longest gap between its ticks beyond its period. */
async function measure(load: () => unknown): Promise<{ ms: number; stall: number }> {
  let stall = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 1);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await load();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(timer);
  return { ms, stall };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-swap-'));
  try {
    const random = createRandom(7);
    const index = createHnswIndex({ dimensions: D, capacity: N, efConstruction: 100, buildThreads: 2 });
    const t0 = performance.now();
    for (let start = 0; start < N; start += 8192) {
      const count = Math.min(8192, N - start);
      const labels = Array.from({ length: count }, (_, i) => start + i + 1);
      index.add(
        labels,
        labels.map(() => Float32Array.from({ length: D }, () => random() - 0.5)),
      );
    }
    const file = path.join(dir, 'index.hnsw');
    await index.save(file);
    log(`built and saved ${N} × ${D} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const spec = { kind: 'hnsw' as const, metric: 'cosine' as const, dimensions: D };
    const runs: Record<'sync' | 'async', { ms: number; stall: number }[]> = { sync: [], async: [] };
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const side of r % 2 === 0 ? (['sync', 'async'] as const) : (['async', 'sync'] as const)) {
        const run = await measure(() => (side === 'sync' ? loadVectorIndex(file, spec) : loadVectorIndexAsync(file, spec)));
        log(`${side}: loaded in ${run.ms.toFixed(0)} ms, longest stall ${run.stall.toFixed(1)} ms`);
        runs[side].push(run);
      }
    }
    const row = (side: 'sync' | 'async') => ({
      name: side === 'sync' ? 'load-in-thread' : 'cairn-load-async',
      load_ms: round(Math.min(...runs[side].map((r) => r.ms))),
      max_stall_ms: round(Math.max(...runs[side].map((r) => r.stall))),
      stall_ms_per_round: runs[side].map((r) => round(r.stall)),
    });
    const [sync, async] = [row('sync'), row('async')];
    const output = {
      bench: 'ann-swap',
      n: N,
      dims: D,
      results: [sync, async],
      ratios: { load_in_thread_vs_async_stall: round(sync.max_stall_ms / async.max_stall_ms, 2) },
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
