import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFlatIndex, createHnswIndex, createIvfIndex, type Metric, type VectorIndex } from '../../../indexer/ann/index.ts';
import { createRandom } from '../../../indexer/ann/kmeans.ts';

/** Clustered random vectors (deterministic), like embeddings: a few dense regions. */
export function clusteredVectors(n: number, d: number, seed = 1, clusters = 12): Float32Array[] {
  const random = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: d }, gauss));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(random() * clusters)]!;
    return Float32Array.from({ length: d }, (_, j) => c[j]! + 0.8 * gauss());
  });
}

export type Factory = (dimensions: number, metric: Metric) => VectorIndex;

export const FACTORIES: Record<'flat' | 'hnsw' | 'ivf', Factory> = {
  flat: (dimensions, metric) => createFlatIndex({ dimensions, metric }),
  hnsw: (dimensions, metric) => createHnswIndex({ dimensions, metric, m: 12, efConstruction: 100, ef: 64, capacity: 64 }),
  ivf: (dimensions, metric) => createIvfIndex({ dimensions, metric, minTrainSize: 200, nprobe: 40, iterations: 5 }),
};

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-ann-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function recallAt(found: number[], truth: number[]): number {
  const want = new Set(truth);
  return found.filter((label) => want.has(label)).length / Math.max(1, truth.length);
}
