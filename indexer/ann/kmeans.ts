import { dot } from './vector-math.ts';

/**
 * k-means for IVF lists, in plain TypeScript over typed arrays. Assignment maximises
 * `x·c` (spherical, for unit vectors) or `2x·c − |c|²` (the same argmin as L2 distance),
 * so both reduce to inner products.
 */
export interface KMeansOptions {
  k: number;
  dimensions: number;
  spherical: boolean;
  iterations: number;
  /** Deterministic seed for sampling and k-means++. */
  seed: number;
  /**
   * A faster (approximate) nearest-centroid search for these centroids, e.g. a small HNSW graph
   * over them; null falls back to scoring every centroid.
   */
  assigner?: (centroids: Float32Array, k: number) => ((vector: Float32Array) => number) | null;
}

/** A small deterministic PRNG (mulberry32): training must be reproducible. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function centroidNorms(centroids: Float32Array, k: number, d: number): Float32Array {
  const norms = new Float32Array(k);
  for (let c = 0; c < k; c++) norms[c] = dot(centroids, c * d, centroids, c * d, d);
  return norms;
}

/** Index of the best centroid for row `offset` of `data`, and its assignment score. */
export function nearestCentroid(
  data: Float32Array,
  offset: number,
  centroids: Float32Array,
  norms: Float32Array,
  k: number,
  d: number,
  spherical: boolean,
): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const ip = dot(data, offset, centroids, c * d, d);
    const score = spherical ? ip : 2 * ip - norms[c]!;
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

function squaredDistance(data: Float32Array, a: number, centroids: Float32Array, c: number, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const diff = data[a + i]! - centroids[c + i]!;
    sum += diff * diff;
  }
  return sum;
}

/** k-means++ seeding: each next centre is drawn with probability proportional to D². */
export function seedPlusPlus(data: Float32Array, n: number, options: KMeansOptions, random: () => number): Float32Array {
  const { k, dimensions: d } = options;
  const centroids = new Float32Array(k * d);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let chosen = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centroids.set(data.subarray(chosen * d, (chosen + 1) * d), c * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = squaredDistance(data, i * d, centroids, c * d, d);
      if (dist < nearest[i]!) nearest[i] = dist;
      total += nearest[i]!;
    }
    let target = random() * total;
    chosen = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i]!;
      if (target <= 0) {
        chosen = i;
        break;
      }
    }
  }
  return centroids;
}

function normalizeRows(centroids: Float32Array, k: number, d: number): void {
  for (let c = 0; c < k; c++) {
    const length = Math.sqrt(dot(centroids, c * d, centroids, c * d, d));
    if (length > 0) for (let i = 0; i < d; i++) centroids[c * d + i]! /= length;
  }
}

/** Lloyd iterations; an empty cluster is re-seeded with the point farthest from its centre. */
export function trainKMeans(data: Float32Array, n: number, options: KMeansOptions): Float32Array {
  const { k, dimensions: d, spherical } = options;
  const random = createRandom(options.seed);
  // Seeding costs n·k distance computations; a few points per centre are enough to spread them.
  const seedCount = Math.min(n, Math.max(4 * k, 1000));
  const centroids = seedPlusPlus(data, seedCount, options, random);
  if (spherical) normalizeRows(centroids, k, d);
  const assignment = new Int32Array(n);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const norms = centroidNorms(centroids, k, d);
    const fast = options.assigner?.(centroids, k) ?? null;
    for (let i = 0; i < n; i++) {
      assignment[i] = fast
        ? fast(data.subarray(i * d, (i + 1) * d))
        : nearestCentroid(data, i * d, centroids, norms, k, d, spherical);
    }
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      counts[c]! += 1;
      for (let j = 0; j < d; j++) sums[c * d + j]! += data[i * d + j]!;
    }
    reseedEmpty(data, n, centroids, assignment, sums, counts, d);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j]! / Math.max(1, counts[c]!);
    }
    if (spherical) normalizeRows(centroids, k, d);
  }
  return centroids;
}

function reseedEmpty(
  data: Float32Array,
  n: number,
  centroids: Float32Array,
  assignment: Int32Array,
  sums: Float64Array,
  counts: Int32Array,
  d: number,
): void {
  const k = counts.length;
  const taken = new Set<number>();
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) continue;
    // Farthest point from its own centre among points of clusters that can spare one.
    let far = -1;
    let farDist = -1;
    for (let i = 0; i < n; i++) {
      if (taken.has(i) || counts[assignment[i]!]! < 2) continue;
      const dist = squaredDistance(data, i * d, centroids, assignment[i]! * d, d);
      if (dist > farDist) {
        farDist = dist;
        far = i;
      }
    }
    if (far < 0) return;
    taken.add(far);
    const from = assignment[far]!;
    counts[from]! -= 1;
    for (let j = 0; j < d; j++) sums[from * d + j]! -= data[far * d + j]!;
    assignment[far] = c;
    counts[c] = 1;
    for (let j = 0; j < d; j++) sums[c * d + j] = data[far * d + j]!;
  }
}
