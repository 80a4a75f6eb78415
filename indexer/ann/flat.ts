import { CairnError } from '../../core/index.ts';
import { checkHeader, decodeSections, encodeSections, viewFloat32, viewFloat64, writeFileAtomic } from './index-file.ts';
import { createNativeScan, type NativeScan } from './native-scan.ts';
import type { IndexDescription, Metric, SearchHit, SearchOptions, VectorIndex } from './types.ts';
import { checkAddInput, checkK, prepareVector, scoreAt, TopK, toPredicate } from './vector-math.ts';

const MAGIC = 'CAIRNFLT';
/** Below this many vectors the TypeScript scan is as fast as building and calling the native one. */
const NATIVE_SCAN_FROM = 1024;

export interface FlatOptions {
  dimensions: number;
  metric?: Metric;
  /** Initial capacity in vectors; grows by doubling. */
  capacity?: number;
}

/**
 * Exact search over one contiguous Float32Array (unit vectors under cosine). Removal moves the
 * last vector into the freed slot so the array stays dense.
 */
export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;
  readonly dimensions: number;
  readonly metric: Metric;
  private data: Float32Array;
  private slotLabels: Float64Array;
  private readonly slotOf = new Map<number, number>();
  private count = 0;
  /** Native candidate scan, built lazily for unfiltered searches and then kept in step with every change. */
  private scan: NativeScan | null | undefined;
  /** How many times the native scan was built: once, plus when it fills up or gathers too many dead entries. */
  private scanBuilds = 0;

  constructor(options: FlatOptions) {
    if (!Number.isInteger(options.dimensions) || options.dimensions <= 0) {
      throw new CairnError('VALIDATION', `dimensions must be a positive integer; got ${options.dimensions}`);
    }
    this.dimensions = options.dimensions;
    this.metric = options.metric ?? 'cosine';
    const capacity = Math.max(16, options.capacity ?? 1024);
    this.data = new Float32Array(capacity * this.dimensions);
    this.slotLabels = new Float64Array(capacity);
  }

  private grow(needed: number): void {
    if (needed <= this.slotLabels.length) return;
    const capacity = Math.max(needed, this.slotLabels.length * 2);
    const data = new Float32Array(capacity * this.dimensions);
    data.set(this.data.subarray(0, this.count * this.dimensions));
    const labels = new Float64Array(capacity);
    labels.set(this.slotLabels.subarray(0, this.count));
    this.data = data;
    this.slotLabels = labels;
  }

  add(labels: number[], vectors: Float32Array[]): void {
    checkAddInput(labels, vectors);
    // Validate everything first so a bad vector changes nothing.
    const prepared = vectors.map((v) => prepareVector(v, this.dimensions, this.metric));
    this.grow(this.count + labels.length);
    labels.forEach((label, i) => {
      let slot = this.slotOf.get(label);
      if (slot === undefined) {
        slot = this.count++;
        this.slotOf.set(label, slot);
        this.slotLabels[slot] = label;
      }
      this.data.set(prepared[i]!, slot * this.dimensions);
      if (this.scan && !this.scan.set(label, prepared[i]!)) this.scan = undefined;
    });
  }

  remove(labels: number[]): void {
    for (const label of labels) {
      const slot = this.slotOf.get(label);
      if (slot === undefined) continue;
      this.scan?.remove(label);
      const last = --this.count;
      if (slot !== last) {
        const moved = this.slotLabels[last]!;
        this.data.copyWithin(slot * this.dimensions, last * this.dimensions, (last + 1) * this.dimensions);
        this.slotLabels[slot] = moved;
        this.slotOf.set(moved, slot);
      }
      this.slotOf.delete(label);
    }
    // Dead entries cost over-fetching on every query: past an eighth of the scan, rebuild it.
    if (this.scan && this.scan.dead > Math.max(256, this.scan.live / 8)) this.scan = undefined;
  }

  /** A native scan over the current vectors, with room to grow before it must be rebuilt. */
  private buildScan(): NativeScan | null {
    const scan = createNativeScan(this.dimensions, Math.max(2 * this.count, 4096));
    if (!scan) return null;
    this.scanBuilds += 1;
    for (let slot = 0; slot < this.count; slot++) {
      scan.set(this.slotLabels[slot]!, this.data.subarray(slot * this.dimensions, (slot + 1) * this.dimensions));
    }
    return scan;
  }

  search(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    const q = prepareVector(query, this.dimensions, this.metric, 'query');
    const want = Math.min(checkK(k), this.count);
    if (want === 0) return [];
    const top = new TopK(want);
    const filter = options.filter;
    if (filter instanceof Set && filter.size < this.count) {
      for (const label of filter) {
        const slot = this.slotOf.get(label);
        if (slot !== undefined) top.push(label, scoreAt(this.metric, q, this.data, slot * this.dimensions, this.dimensions));
      }
      return top.result();
    }
    const allowed = toPredicate(filter);
    if (!allowed && this.metric !== 'l2' && this.count >= NATIVE_SCAN_FROM) {
      const hits = this.searchNative(q, want, top);
      if (hits) return hits;
    }
    for (let slot = 0; slot < this.count; slot++) {
      const label = this.slotLabels[slot]!;
      if (allowed && !allowed(label)) continue;
      top.push(label, scoreAt(this.metric, q, this.data, slot * this.dimensions, this.dimensions));
    }
    return top.result();
  }

  /**
   * Exact top-k through native candidates: the native scan (float32) proposes want + margin labels,
   * re-scored here like the TypeScript scan, so only a float32 near-tie beyond the margin could differ.
   */
  private searchNative(q: Float32Array, want: number, top: TopK): SearchHit[] | null {
    if (this.scan === undefined) this.scan = this.buildScan();
    if (!this.scan) return null;
    for (const label of this.scan.candidates(q, want + Math.max(16, want))) {
      const slot = this.slotOf.get(label);
      if (slot !== undefined) top.push(label, scoreAt(this.metric, q, this.data, slot * this.dimensions, this.dimensions));
    }
    return top.result();
  }

  size(): number {
    return this.count;
  }

  has(label: number): boolean {
    return this.slotOf.has(label);
  }

  labels(): number[] {
    return Array.from(this.slotLabels.subarray(0, this.count));
  }

  /** The stored (unit, under cosine) vector of a label, or null. */
  vectorOf(label: number): Float32Array | null {
    const slot = this.slotOf.get(label);
    return slot === undefined ? null : this.data.slice(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  describe(): IndexDescription {
    return {
      kind: 'flat',
      metric: this.metric,
      dimensions: this.dimensions,
      size: this.count,
      // Map entries cost about 40 bytes each in V8.
      memoryBytes: this.data.byteLength + this.slotLabels.byteLength + this.count * 40,
      params: { nativeScanBuilds: this.scanBuilds },
    };
  }

  async save(file: string): Promise<void> {
    const header = { kind: 'flat', version: 1, metric: this.metric, dimensions: this.dimensions, count: this.count };
    writeFileAtomic(
      file,
      encodeSections(MAGIC, header, [
        this.slotLabels.subarray(0, this.count),
        this.data.subarray(0, this.count * this.dimensions),
      ]),
    );
  }

  static load(file: string, expected: { metric?: Metric; dimensions?: number } = {}): FlatIndex {
    const { header, sections } = decodeSections(file, MAGIC);
    const { metric, dimensions, count } = checkHeader(file, header, expected);
    const [labelBytes, dataBytes] = sections;
    if (!labelBytes || !dataBytes || labelBytes.byteLength !== count * 8 || dataBytes.byteLength !== count * dimensions * 4) {
      throw new CairnError('INDEX_CORRUPT', `Index file ${file} is corrupt: section sizes do not match the header`, { file });
    }
    const index = new FlatIndex({ dimensions, metric, capacity: count });
    index.data.set(viewFloat32(dataBytes));
    const labels = viewFloat64(labelBytes);
    index.slotLabels.set(labels);
    for (let slot = 0; slot < count; slot++) index.slotOf.set(labels[slot]!, slot);
    index.count = count;
    return index;
  }
}

export function createFlatIndex(options: FlatOptions): FlatIndex {
  return new FlatIndex(options);
}
