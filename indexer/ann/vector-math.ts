import { CairnError } from '../../core/index.ts';
import type { Metric, SearchHit, SearchOptions } from './types.ts';

/** Inner product, unrolled by four: V8 keeps four independent accumulators in registers. */
export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < n; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}

export function squaredL2(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const d0 = a[aOffset + i]! - b[bOffset + i]!;
    const d1 = a[aOffset + i + 1]! - b[bOffset + i + 1]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  for (; i < n; i++) {
    const d = a[aOffset + i]! - b[bOffset + i]!;
    s0 += d * d;
  }
  return s0 + s1;
}

export function norm(v: Float32Array): number {
  return Math.sqrt(dot(v, 0, v, 0, v.length));
}

/**
 * Checks a vector and returns the form the index stores: a unit copy under cosine, the vector
 * itself otherwise. Wrong dimensions, NaN, infinities and zero vectors under cosine are BAD_VECTOR.
 */
export function prepareVector(vector: Float32Array, dimensions: number, metric: Metric, what = 'vector'): Float32Array {
  if (!(vector instanceof Float32Array)) {
    throw new CairnError('BAD_VECTOR', `The ${what} must be a Float32Array`);
  }
  if (vector.length !== dimensions) {
    throw new CairnError('BAD_VECTOR', `The ${what} has ${vector.length} dimensions; the index has ${dimensions}`, {
      expected: dimensions,
      got: vector.length,
    });
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) {
      throw new CairnError('BAD_VECTOR', `The ${what} has a non-finite component at ${i}`, { position: i });
    }
  }
  if (metric !== 'cosine') return vector;
  const length = norm(vector);
  if (!(length > 0) || !Number.isFinite(length)) {
    throw new CairnError('BAD_VECTOR', `The ${what} is a zero vector, which has no direction under cosine`);
  }
  const unit = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) unit[i] = vector[i]! / length;
  return unit;
}

export function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > 0xffffffff) {
    throw new CairnError('VALIDATION', `Index labels are integers from 0 to 2^32-1; got ${label}`, { label });
  }
}

/** k ≤ 0 means no results; a fractional or non-number k is a usage error. */
export function checkK(k: number): number {
  if (!Number.isInteger(k)) throw new CairnError('VALIDATION', `k must be an integer; got ${k}`, { k });
  return Math.max(0, k);
}

export function checkAddInput(labels: number[], vectors: Float32Array[]): void {
  if (labels.length !== vectors.length) {
    throw new CairnError('VALIDATION', `Got ${vectors.length} vectors for ${labels.length} labels`);
  }
  labels.forEach(checkLabel);
}

/** The filter as a predicate, or null when everything is allowed. */
export function toPredicate(filter: SearchOptions['filter']): ((label: number) => boolean) | null {
  if (filter === undefined) return null;
  if (filter instanceof Set) return (label) => filter.has(label);
  return filter;
}

/** A bounded min-heap keeping the k best (highest-score) hits seen. */
export class TopK {
  private readonly scores: Float64Array;
  private readonly labels: Float64Array;
  size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(1, k));
    this.labels = new Float64Array(Math.max(1, k));
  }

  /** The score a candidate must beat to enter. */
  threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  push(label: number, score: number): void {
    if (this.k <= 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent]! <= score) break;
        this.scores[i] = this.scores[parent]!;
        this.labels[i] = this.labels[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.labels[i] = label;
      return;
    }
    if (score <= this.scores[0]!) return;
    this.siftDown(label, score);
  }

  private siftDown(label: number, score: number): void {
    let i = 0;
    const n = this.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.scores[right]! < this.scores[left]! ? right : left;
      if (this.scores[child]! >= score) break;
      this.scores[i] = this.scores[child]!;
      this.labels[i] = this.labels[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.labels[i] = label;
  }

  /** Best first; ties by smaller label so results are deterministic. */
  result(): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ label: this.labels[i]!, score: this.scores[i]! });
    return hits.sort((a, b) => b.score - a.score || a.label - b.label);
  }
}

/** Score of a stored vector against a prepared query: higher is better. */
export function scoreAt(metric: Metric, query: Float32Array, data: Float32Array, offset: number, n: number): number {
  // 0 - x rather than -x: an exact match scores +0, not -0.
  return metric === 'l2' ? 0 - Math.sqrt(squaredL2(query, 0, data, offset, n)) : dot(query, 0, data, offset, n);
}
