import type { Bm25Snapshot } from './bm25-index.ts';

/** The postings arrays behind bm25-index.ts: the build's flat layout, per-term tails of later appends, and their merge. */

/** Postings added after the last full build (a growable tail per term). */
export interface Tail {
  docs: Int32Array;
  impacts: Float32Array;
  length: number;
}

export type Growable = Int32Array | Uint32Array | Float32Array | Float64Array | Uint8Array;

export function grow<T extends Growable>(array: T, size: number): T {
  const next = new (array.constructor as new (n: number) => T)(Math.max(size, 16));
  next.set(array);
  return next;
}

export function addToTail(tails: Map<number, Tail>, id: number, d: number, value: number): void {
  let tail = tails.get(id);
  if (!tail) {
    tail = { docs: new Int32Array(4), impacts: new Float32Array(4), length: 0 };
    tails.set(id, tail);
  }
  if (tail.length === tail.docs.length) {
    tail.docs = grow(tail.docs, tail.length * 2);
    tail.impacts = grow(tail.impacts, tail.length * 2);
  }
  tail.docs[tail.length] = d;
  tail.impacts[tail.length] = value;
  tail.length++;
}

/** Adds postings [from, to) into `scores`, skipping masked-out documents; returns the touched count. */
export function addPostings(
  s: { scores: Float32Array; touched: Int32Array },
  p: { docs: Int32Array; impacts: Float32Array },
  from: number,
  to: number,
  idf: number,
  count: number,
  mask: Uint8Array | null,
): number {
  const { scores, touched } = s;
  const { docs, impacts } = p;
  let c = count;
  for (let i = from; i < to; i++) {
    const d = docs[i] as number;
    if (mask !== null && mask[d] === 0) continue;
    const v = scores[d] as number;
    if (v === 0) touched[c++] = d;
    scores[d] = v + idf * (impacts[i] as number);
  }
  return c;
}

/** First position whose rowid is >= rowid (rowids ascending). */
export function lowerBound(rowids: Float64Array, n: number, rowid: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rowids[mid] as number) < rowid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One flat postings layout from the build's arrays followed by each term's tail (a save after catch-ups). */
export function mergePostings(
  terms: string[],
  base: { offsets: Uint32Array; docs: Int32Array; impacts: Float32Array },
  tails: Map<number, Tail>,
): Pick<Bm25Snapshot, 'terms' | 'offsets' | 'docs' | 'impacts'> {
  const baseTerms = base.offsets.length - 1;
  const offsets = new Uint32Array(terms.length + 1);
  for (let t = 0; t < terms.length; t++) {
    const own = t < baseTerms ? (base.offsets[t + 1] as number) - (base.offsets[t] as number) : 0;
    offsets[t + 1] = (offsets[t] as number) + own + (tails.get(t)?.length ?? 0);
  }
  const total = offsets[terms.length] as number;
  const docs = new Int32Array(total);
  const impacts = new Float32Array(total);
  for (let t = 0; t < terms.length; t++) {
    let at = offsets[t] as number;
    if (t < baseTerms) {
      const from = base.offsets[t] as number;
      const to = base.offsets[t + 1] as number;
      docs.set(base.docs.subarray(from, to), at);
      impacts.set(base.impacts.subarray(from, to), at);
      at += to - from;
    }
    const tail = tails.get(t);
    if (tail) {
      docs.set(tail.docs.subarray(0, tail.length), at);
      impacts.set(tail.impacts.subarray(0, tail.length), at);
    }
  }
  return { terms: [...terms], offsets, docs, impacts };
}
