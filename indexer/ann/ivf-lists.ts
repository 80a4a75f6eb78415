import { CairnError } from '../../core/index.ts';
import { dotSq8, encodeSq8, prepareSq8Query, type Sq8 } from './sq8.ts';
import type { Metric, SearchHit } from './types.ts';
import { scoreAt, TopK } from './vector-math.ts';

type Fetch = (labels: number[]) => (Float32Array | null)[];

/**
 * The inverted lists: per list, growable typed arrays of labels, SQ8 codes (with the decoded
 * squared norms, for L2) and/or float vectors. Removal moves a list's last entry into the gap.
 */
export class IvfLists {
  private readonly labelsOf: Float64Array[] = [];
  private readonly floatsIn: Float32Array[] = [];
  private readonly codesIn: Uint8Array[] = [];
  private readonly normsIn: Float32Array[] = [];
  private readonly sizes: Int32Array;
  private readonly listOf = new Map<number, number>();

  constructor(
    readonly nlist: number,
    private readonly d: number,
    private readonly sq: Sq8 | null,
    readonly holdsFloats: boolean,
  ) {
    this.sizes = new Int32Array(nlist);
    for (let i = 0; i < nlist; i++) this.allocate(i, 8);
  }

  private allocate(list: number, capacity: number): void {
    const grow = <T extends Float64Array | Float32Array | Uint8Array>(
      old: T | undefined,
      make: (n: number) => T,
      width: number,
    ): T => {
      const next = make(capacity * width);
      if (old) next.set(old.subarray(0, this.sizes[list]! * width) as never);
      return next;
    };
    this.labelsOf[list] = grow(this.labelsOf[list], (n) => new Float64Array(n), 1);
    if (this.holdsFloats) this.floatsIn[list] = grow(this.floatsIn[list], (n) => new Float32Array(n), this.d);
    if (this.sq) {
      this.codesIn[list] = grow(this.codesIn[list], (n) => new Uint8Array(n), this.d);
      this.normsIn[list] = grow(this.normsIn[list], (n) => new Float32Array(n), 1);
    }
  }

  /** Allocates each list for the number of entries that will be appended to it. */
  reserve(assignment: Int32Array): void {
    const counts = new Int32Array(this.nlist);
    for (const list of assignment) counts[list]! += 1;
    for (let list = 0; list < this.nlist; list++) this.allocate(list, Math.max(this.sizes[list]! + counts[list]!, 1));
  }

  get size(): number {
    return this.listOf.size;
  }

  has(label: number): boolean {
    return this.listOf.has(label);
  }

  labels(): number[] {
    return [...this.listOf.keys()];
  }

  append(list: number, label: number, vector: Float32Array): void {
    const pos = this.sizes[list]!;
    if (pos >= this.labelsOf[list]!.length) this.allocate(list, Math.max(8, pos * 2));
    this.labelsOf[list]![pos] = label;
    if (this.holdsFloats) this.floatsIn[list]!.set(vector, pos * this.d);
    if (this.sq) this.normsIn[list]![pos] = encodeSq8(this.sq, vector, this.codesIn[list]!, pos * this.d);
    this.sizes[list] = pos + 1;
    this.listOf.set(label, list);
  }

  private position(list: number, label: number): number {
    const labels = this.labelsOf[list]!;
    for (let i = 0; i < this.sizes[list]!; i++) if (labels[i] === label) return i;
    return -1;
  }

  remove(label: number): void {
    const list = this.listOf.get(label);
    if (list === undefined) return;
    const pos = this.position(list, label);
    const last = this.sizes[list]! - 1;
    if (pos !== last) {
      const d = this.d;
      this.labelsOf[list]![pos] = this.labelsOf[list]![last]!;
      if (this.holdsFloats) this.floatsIn[list]!.copyWithin(pos * d, last * d, (last + 1) * d);
      if (this.sq) {
        this.codesIn[list]!.copyWithin(pos * d, last * d, (last + 1) * d);
        this.normsIn[list]![pos] = this.normsIn[list]![last]!;
      }
    }
    this.sizes[list] = last;
    this.listOf.delete(label);
  }

  /** Every stored vector as floats: from memory, or fetched in batches. */
  *floats(fetch: Fetch): Generator<[number, Float32Array]> {
    for (let list = 0; list < this.nlist; list++) {
      const labels = Array.from(this.labelsOf[list]!.subarray(0, this.sizes[list]!));
      const vectors = this.floatsOf(labels, fetch, list);
      for (let i = 0; i < labels.length; i++) {
        const vector = vectors[i];
        if (!vector) throw new CairnError('INDEX_CORRUPT', `No float vector for label ${labels[i]} to retrain on`);
        yield [labels[i]!, vector];
      }
    }
  }

  floatsOf(labels: number[], fetch: Fetch, knownList?: number): (Float32Array | null)[] {
    if (!this.holdsFloats) return fetch(labels);
    return labels.map((label) => {
      const list = knownList ?? this.listOf.get(label);
      if (list === undefined) return null;
      const pos = this.position(list, label);
      return this.floatsIn[list]!.subarray(pos * this.d, (pos + 1) * this.d);
    });
  }

  scanFloats(
    metric: Metric,
    q: Float32Array,
    probe: number[],
    k: number,
    allowed: ((label: number) => boolean) | null,
  ): SearchHit[] {
    const top = new TopK(k);
    for (const list of probe) {
      const labels = this.labelsOf[list]!;
      const floats = this.floatsIn[list]!;
      for (let i = 0; i < this.sizes[list]!; i++) {
        const label = labels[i]!;
        if (allowed && !allowed(label)) continue;
        top.push(label, scoreAt(metric, q, floats, i * this.d, this.d));
      }
    }
    return top.result();
  }

  /** Labels of the best `count` candidates by their SQ8 approximate score. */
  scanCodes(
    metric: Metric,
    q: Float32Array,
    probe: number[],
    count: number,
    allowed: ((label: number) => boolean) | null,
  ): number[] {
    const sq = prepareSq8Query(this.sq!, q);
    const top = new TopK(count);
    for (const list of probe) {
      const labels = this.labelsOf[list]!;
      const codes = this.codesIn[list]!;
      const norms = this.normsIn[list]!;
      for (let i = 0; i < this.sizes[list]!; i++) {
        const label = labels[i]!;
        if (allowed && !allowed(label)) continue;
        const ip = dotSq8(sq, codes, i * this.d, this.d);
        top.push(label, metric === 'l2' ? 2 * ip - norms[i]! - sq.squaredNorm : ip);
      }
    }
    return top.result().map((hit) => hit.label);
  }

  memoryBytes(): number {
    let bytes = this.sizes.byteLength + this.listOf.size * 40;
    for (let list = 0; list < this.nlist; list++) {
      bytes += this.labelsOf[list]!.byteLength + (this.floatsIn[list]?.byteLength ?? 0);
      bytes += (this.codesIn[list]?.byteLength ?? 0) + (this.normsIn[list]?.byteLength ?? 0);
    }
    return bytes;
  }

  /** sizes, labels, codes, norms, floats: each list's live part, concatenated. */
  sections(): ArrayBufferView[] {
    const total = this.listOf.size;
    const d = this.d;
    const labels = new Float64Array(total);
    const codes = new Uint8Array(this.sq ? total * d : 0);
    const norms = new Float32Array(this.sq ? total : 0);
    const floats = new Float32Array(this.holdsFloats ? total * d : 0);
    let at = 0;
    for (let list = 0; list < this.nlist; list++) {
      const n = this.sizes[list]!;
      labels.set(this.labelsOf[list]!.subarray(0, n), at);
      if (this.sq) {
        codes.set(this.codesIn[list]!.subarray(0, n * d), at * d);
        norms.set(this.normsIn[list]!.subarray(0, n), at);
      }
      if (this.holdsFloats) floats.set(this.floatsIn[list]!.subarray(0, n * d), at * d);
      at += n;
    }
    return [Uint32Array.from(this.sizes), labels, codes, norms, floats];
  }

  static fromSections(
    nlist: number,
    d: number,
    sq: Sq8 | null,
    holdsFloats: boolean,
    sections: Uint8Array[],
    count: number,
    file: string,
    view: {
      float32: (b: Uint8Array) => Float32Array;
      float64: (b: Uint8Array) => Float64Array;
      uint32: (b: Uint8Array) => Uint32Array;
    },
  ): IvfLists {
    const [sizeBytes, labelBytes, codeBytes, normBytes, floatBytes] = sections;
    const bad = () => new CairnError('INDEX_CORRUPT', `Index file ${file} is corrupt: list sections do not match`, { file });
    if (!sizeBytes || !labelBytes || !codeBytes || !normBytes || !floatBytes) throw bad();
    const sizes = view.uint32(sizeBytes);
    const labels = view.float64(labelBytes);
    const sum = sizes.reduce((a, b) => a + b, 0);
    const codesOk = codeBytes.byteLength === (sq ? count * d : 0) && normBytes.byteLength === (sq ? count * 4 : 0);
    if (sizes.length !== nlist || sum !== count || labels.length !== count || !codesOk) throw bad();
    if (floatBytes.byteLength !== (holdsFloats ? count * d * 4 : 0)) throw bad();
    const lists = new IvfLists(nlist, d, sq, holdsFloats);
    const floats = view.float32(floatBytes);
    const norms = view.float32(normBytes);
    let at = 0;
    for (let list = 0; list < nlist; list++) {
      const n = sizes[list]!;
      lists.allocate(list, Math.max(8, n));
      lists.labelsOf[list]!.set(labels.subarray(at, at + n));
      if (holdsFloats) lists.floatsIn[list]!.set(floats.subarray(at * d, (at + n) * d));
      if (sq) {
        lists.codesIn[list]!.set(codeBytes.subarray(at * d, (at + n) * d));
        lists.normsIn[list]!.set(norms.subarray(at, at + n));
      }
      for (let i = 0; i < n; i++) lists.listOf.set(labels[at + i]!, list);
      lists.sizes[list] = n;
      at += n;
    }
    return lists;
  }
}
