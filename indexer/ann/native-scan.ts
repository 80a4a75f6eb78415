import { createRequire } from 'node:module';
import { loadHnswBackend } from './hnsw-backend.ts';

const require = createRequire(import.meta.url);

interface Bruteforce {
  initIndex(maxElements: number): void;
  addPoint(point: number[] | Float32Array, label: number): void;
  searchKnn(query: number[] | Float32Array, k: number): { neighbors: number[] };
}

type BruteforceConstructor = new (space: 'ip', dimensions: number) => Bruteforce;

/**
 * A native (SIMD) inner-product scan kept beside the flat index's vectors: 5–7× faster than the
 * TypeScript loop at a few thousand 384-d vectors. It only proposes candidates; the flat index
 * re-scores them exactly, so results and their order stay those of the exact scan. It follows the
 * flat index change by change (a point set in place, a removed label left as a dead entry that
 * queries over-fetch past) instead of being rebuilt: hnswlib-node's bundled
 * BruteforceSearch.removePoint reads an erased map entry, so it is never called.
 */
export interface NativeScan {
  /** Adds or overwrites a label's point; false when the scan is full (build a bigger one). */
  set(label: number, point: Float32Array): boolean;
  remove(label: number): void;
  candidates(query: Float32Array, n: number): number[];
  /** Entries for removed labels: past a share of the scan, a rebuild is cheaper than over-fetching. */
  readonly dead: number;
  readonly live: number;
}

export function createNativeScan(dimensions: number, capacity: number): NativeScan | null {
  let Ctor: BruteforceConstructor;
  let typed: boolean;
  try {
    const backend = loadHnswBackend();
    Ctor = (require(backend.addon) as { BruteforceSearch: BruteforceConstructor }).BruteforceSearch;
    typed = backend.typedArrays;
  } catch {
    return null;
  }
  const scan = new Ctor('ip', dimensions);
  scan.initIndex(capacity);
  // The host build takes a Float32Array in one memcpy; the npm build only takes arrays.
  const point = (vector: Float32Array) => (typed ? vector : Array.from(vector));
  const entries = new Set<number>();
  const dead = new Set<number>();
  return {
    set(label, vector) {
      if (!entries.has(label) && entries.size >= capacity) return false;
      scan.addPoint(point(vector), label);
      entries.add(label);
      dead.delete(label);
      return true;
    },
    remove(label) {
      if (entries.has(label)) dead.add(label);
    },
    candidates(query, n) {
      const want = Math.min(n + dead.size, entries.size);
      if (want === 0) return [];
      const found = scan.searchKnn(point(query), want).neighbors;
      return dead.size === 0 ? found : found.filter((label) => !dead.has(label));
    },
    get dead() {
      return dead.size;
    },
    get live() {
      return entries.size - dead.size;
    },
  };
}
