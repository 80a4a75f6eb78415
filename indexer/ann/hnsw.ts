import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { CairnError } from '../../core/index.ts';
import { type BackendOptions, type HnswBackend, type HnswNative, loadHnswBackend } from './hnsw-backend.ts';
import {
  checkHeader,
  crcOfFile,
  decodeSections,
  encodeSections,
  syncFile,
  tempName,
  viewFloat64,
  writeFileAtomic,
} from './index-file.ts';
import type { HnswParams, IndexDescription, Metric, SearchHit, SearchOptions, VectorIndex } from './types.ts';
import { checkAddInput, checkK, prepareVector, TopK, toPredicate } from './vector-math.ts';

const MAGIC = 'CAIRNHNS';

/** ef 128: recall@10 0.999 at 100k and 0.980 at 1M clustered 384-d vectors (bench/ann); 64 fell to 0.905 at 1M. */
export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 200, ef: 128, exactFilterBelow: 0.05 };

export interface HnswOptions extends Partial<HnswParams> {
  dimensions: number;
  metric?: Metric;
  /** Initial capacity; the graph is resized (doubled) as it fills. */
  capacity?: number;
  seed?: number;
  /** Threads for a batch of new labels (host build only; the portable one inserts one at a time). */
  buildThreads?: number;
  /** A loaded backend, or how to pick one (host build when present, else portable). */
  backend?: HnswBackend | BackendOptions;
}

function pickBackend(backend: HnswOptions['backend']): HnswBackend {
  return backend && 'HierarchicalNSW' in backend ? backend : loadHnswBackend(backend ?? {});
}

/**
 * HNSW on hnswlib. Under cosine the vectors are normalized here and stored in an inner-product
 * space. Deleted labels are marked, and their slots are reused by new labels (replaceDeleted);
 * `dead` remembers marked labels so re-adding one can unmark it instead of duplicating it.
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly dimensions: number;
  readonly metric: Metric;
  readonly params: HnswParams;
  readonly backend: HnswBackend;
  private readonly native: HnswNative;
  private readonly live = new Set<number>();
  private readonly dead = new Set<number>();
  private currentEf = -1;
  private readonly buildThreads: number;

  /** `loadFrom`: a graph file read here; `readLater`: the caller reads one (loadAsync). */
  constructor(options: HnswOptions, loadFrom?: string, readLater = false) {
    if (!Number.isInteger(options.dimensions) || options.dimensions <= 0) {
      throw new CairnError('VALIDATION', `dimensions must be a positive integer; got ${options.dimensions}`);
    }
    this.dimensions = options.dimensions;
    this.metric = options.metric ?? 'cosine';
    this.params = {
      m: options.m ?? DEFAULT_HNSW.m,
      efConstruction: options.efConstruction ?? DEFAULT_HNSW.efConstruction,
      ef: options.ef ?? DEFAULT_HNSW.ef,
      exactFilterBelow: options.exactFilterBelow ?? DEFAULT_HNSW.exactFilterBelow,
    };
    this.buildThreads = Math.max(1, Math.floor(options.buildThreads ?? 1));
    this.backend = pickBackend(options.backend);
    this.native = new this.backend.HierarchicalNSW(this.metric === 'l2' ? 'l2' : 'ip', this.dimensions);
    if (loadFrom) {
      this.native.readIndexSync(loadFrom, true);
      return;
    }
    if (readLater) return;
    this.native.initIndex({
      maxElements: Math.max(16, options.capacity ?? 1024),
      m: this.params.m,
      efConstruction: this.params.efConstruction,
      randomSeed: options.seed ?? 100,
      allowReplaceDeleted: true,
    });
  }

  private point(vector: Float32Array): number[] {
    // The host build copies a Float32Array in one memcpy; the npm build only takes arrays.
    return this.backend.typedArrays ? (vector as unknown as number[]) : Array.from(vector);
  }

  add(labels: number[], vectors: Float32Array[]): void {
    checkAddInput(labels, vectors);
    const prepared = vectors.map((v) => prepareVector(v, this.dimensions, this.metric));
    if (this.addBatch(labels, prepared)) return;
    labels.forEach((label, i) => {
      this.addOne(label, this.point(prepared[i]!));
    });
  }

  /**
   * New labels in one native call that inserts on several threads (the host build). Only for a
   * batch of distinct labels the index has never held and no vacant slot to reuse: the common
   * case of a build, where the per-label bookkeeping of `addOne` has nothing to do.
   */
  private addBatch(labels: number[], prepared: Float32Array[]): boolean {
    const native = this.native as HnswNative & {
      cairnAddPoints?: (points: Float32Array, labels: Float64Array, threads: number, replaceDeleted: boolean) => void;
    };
    if (!native.cairnAddPoints || labels.length < 64 || native.getCurrentCount() !== this.live.size) return false;
    if (new Set(labels).size !== labels.length || labels.some((label) => this.live.has(label) || this.dead.has(label))) {
      return false;
    }
    const needed = native.getCurrentCount() + labels.length;
    // Doubling, as one insert at a time would grow it.
    let capacity = native.getMaxElements();
    while (capacity < needed) capacity = Math.max(16, capacity * 2);
    if (capacity !== native.getMaxElements()) native.resizeIndex(capacity);
    const points = new Float32Array(labels.length * this.dimensions);
    prepared.forEach((vector, i) => {
      points.set(vector, i * this.dimensions);
    });
    native.cairnAddPoints(points, Float64Array.from(labels), this.buildThreads, false);
    for (const label of labels) this.live.add(label);
    return true;
  }

  private addOne(label: number, point: number[]): void {
    if (this.live.has(label)) {
      this.native.addPoint(point, label, false);
      return;
    }
    if (this.dead.delete(label) && this.tryUnmark(label)) {
      this.native.addPoint(point, label, false);
      this.live.add(label);
      return;
    }
    const vacant = this.native.getCurrentCount() - this.live.size;
    if (vacant === 0 && this.native.getCurrentCount() >= this.native.getMaxElements()) {
      this.native.resizeIndex(Math.max(16, this.native.getMaxElements() * 2));
    }
    this.native.addPoint(point, label, vacant > 0);
    this.live.add(label);
    // Once every vacant slot is taken, every marked label has been replaced.
    if (this.native.getCurrentCount() === this.live.size) this.dead.clear();
  }

  private tryUnmark(label: number): boolean {
    try {
      this.native.unmarkDelete(label);
      return true;
    } catch {
      return false; // its slot went to another label
    }
  }

  remove(labels: number[]): void {
    for (const label of labels) {
      if (!this.live.delete(label)) continue;
      this.native.markDelete(label);
      this.dead.add(label);
    }
  }

  search(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    const q = prepareVector(query, this.dimensions, this.metric, 'query');
    const want = Math.min(checkK(k), this.live.size);
    if (want === 0) return [];
    this.setEf(Math.max(options.effort ?? this.params.ef, want));
    const filter = options.filter;
    if (filter === undefined) return this.graphSearch(q, want);
    if (filter instanceof Set && filter.size <= this.params.exactFilterBelow * this.live.size) {
      return this.exactSearch(q, want, this.allowedFromSet(filter));
    }
    const allowed = toPredicate(filter)!;
    const hits = this.graphSearch(q, want, allowed);
    if (hits.length >= want) return hits;
    // The graph ran out of allowed neighbours: answer exactly over everything the filter allows.
    const labels = filter instanceof Set ? this.allowedFromSet(filter) : [...this.live].filter(allowed);
    return this.exactSearch(q, want, labels);
  }

  private setEf(ef: number): void {
    if (ef === this.currentEf) return;
    this.native.setEf(ef);
    this.currentEf = ef;
  }

  private graphSearch(q: Float32Array, k: number, filter?: (label: number) => boolean): SearchHit[] {
    const result = filter ? this.native.searchKnn(this.point(q), k, filter) : this.native.searchKnn(this.point(q), k);
    const hits: SearchHit[] = new Array(result.neighbors.length);
    const l2 = this.metric === 'l2';
    for (let i = 0; i < result.neighbors.length; i++) {
      const d = result.distances[i]!;
      hits[i] = { label: result.neighbors[i]!, score: l2 ? 0 - Math.sqrt(Math.max(0, d)) : 1 - d };
    }
    return hits;
  }

  private allowedFromSet(filter: Set<number>): number[] {
    const labels: number[] = [];
    for (const label of filter) if (this.live.has(label)) labels.push(label);
    return labels;
  }

  private exactSearch(q: Float32Array, k: number, labels: number[]): SearchHit[] {
    const top = new TopK(Math.min(k, labels.length));
    const native = this.native as HnswNative & { cairnDistances?: (q: Float32Array, labels: Float64Array) => Float32Array };
    if (native.cairnDistances) {
      // The host build scores them all in C++ with hnswlib's SIMD distance.
      const distances = native.cairnDistances(q, Float64Array.from(labels));
      const l2 = this.metric === 'l2';
      labels.forEach((label, i) => {
        const d = distances[i]!;
        if (!Number.isNaN(d)) top.push(label, l2 ? 0 - Math.sqrt(Math.max(0, d)) : 1 - d);
      });
      return top.result();
    }
    for (const label of labels) top.push(label, this.scoreStored(q, this.native.getPoint(label)));
    return top.result();
  }

  private scoreStored(q: Float32Array, stored: number[]): number {
    let sum = 0;
    if (this.metric === 'l2') {
      for (let i = 0; i < q.length; i++) {
        const d = q[i]! - stored[i]!;
        sum += d * d;
      }
      return 0 - Math.sqrt(sum);
    }
    for (let i = 0; i < q.length; i++) sum += q[i]! * stored[i]!;
    return sum;
  }

  size(): number {
    return this.live.size;
  }

  has(label: number): boolean {
    return this.live.has(label);
  }

  labels(): number[] {
    return [...this.live];
  }

  describe(): IndexDescription {
    const slots = this.native.getMaxElements();
    const m0 = this.params.m * 2;
    // hnswlib's level-0 record (vector, label, 2M links) per slot, upper levels for about 1/M of
    // the points, its label map, and the JS label set.
    const perSlot = this.dimensions * 4 + 8 + m0 * 4 + 4;
    const upper = (this.live.size / this.params.m) * (this.params.m * 4 + 4);
    return {
      kind: 'hnsw',
      metric: this.metric,
      dimensions: this.dimensions,
      size: this.live.size,
      memoryBytes: Math.round(slots * perSlot + upper + this.native.getCurrentCount() * 48 + this.live.size * 24),
      params: {
        ...this.params,
        build: this.backend.build,
        buildThreads: this.buildThreads,
        slots: this.native.getCurrentCount(),
        capacity: slots,
      },
    };
  }

  /** Two files: the hnswlib graph at `file.graph`, then `file` with the parameters and marked labels. */
  async save(file: string): Promise<void> {
    const graph = `${file}.graph`;
    const temp = tempName(graph);
    try {
      this.native.writeIndexSync(temp);
      syncFile(temp);
      renameSync(temp, graph);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    const header = {
      kind: 'hnsw',
      version: 1,
      metric: this.metric,
      dimensions: this.dimensions,
      count: this.live.size,
      slots: this.native.getCurrentCount(),
      graphBytes: statSync(graph).size,
      // hnswlib trusts its file; a flipped bit in a link could crash the process, so check it first.
      graphCrc: crcOfFile(graph),
      ...this.params,
    };
    writeFileAtomic(file, encodeSections(MAGIC, header, [Float64Array.from(this.dead)]));
  }

  static load(file: string, expected: LoadExpectations = {}): HnswIndex {
    const plan = planLoad(file, expected);
    let index: HnswIndex;
    try {
      index = new HnswIndex(plan.options, plan.graph);
    } catch (error) {
      throw unreadableGraph(plan.graph, error);
    }
    index.adopt(plan.dead, plan.count, plan.slots, file);
    return index;
  }

  /**
   * As `load`, with the graph read on libuv's thread pool: a search thread that swaps in a newer
   * file keeps answering from the old one meanwhile (a load in the thread stalled it ~0.3 s at
   * 200k × 64, bench/ann-swap, and grows with the index).
   */
  static async loadAsync(file: string, expected: LoadExpectations = {}): Promise<HnswIndex> {
    const plan = planLoad(file, expected);
    const index = new HnswIndex(plan.options, undefined, true);
    try {
      await index.native.readIndex(plan.graph, true);
    } catch (error) {
      throw unreadableGraph(plan.graph, error);
    }
    // Sorting a million labels into sets is itself a stall: a slice per turn of the event loop.
    const ids = index.native.getIdsList();
    for (let start = 0; start < ids.length; start += ADOPT_SLICE) {
      index.sortLabels(ids, start, Math.min(ids.length, start + ADOPT_SLICE), plan.dead);
      await new Promise((resolve) => setImmediate(resolve));
    }
    index.checkLoaded(plan.count, plan.slots, file);
    return index;
  }

  /** Sorts the graph's labels into live and dead, checking them against the header. */
  private adopt(dead: Set<number>, count: number, slots: unknown, file: string): void {
    const ids = this.native.getIdsList();
    this.sortLabels(ids, 0, ids.length, dead);
    this.checkLoaded(count, slots, file);
  }

  private sortLabels(ids: number[], from: number, to: number, dead: Set<number>): void {
    for (let i = from; i < to; i++) {
      const label = ids[i] as number;
      (dead.has(label) ? this.dead : this.live).add(label);
    }
  }

  private checkLoaded(count: number, slots: unknown, file: string): void {
    if (this.live.size !== count || this.native.getCurrentCount() !== slots) {
      throw new CairnError('INDEX_CORRUPT', `Index file ${file} does not match its graph`, { file });
    }
  }
}

/** Labels sorted per turn of the event loop in `loadAsync`. */
const ADOPT_SLICE = 65_536;

type LoadExpectations = { metric?: Metric; dimensions?: number; backend?: HnswOptions['backend']; buildThreads?: number };

/** The checks and options a load needs before the graph is read. */
function planLoad(file: string, expected: LoadExpectations) {
  const { header, sections } = decodeSections(file, MAGIC);
  const { metric, dimensions, count } = checkHeader(file, header, expected);
  const graph = `${file}.graph`;
  checkGraphFile(graph, header, dimensions);
  const params = header as Partial<HnswParams>;
  const threads = expected.buildThreads === undefined ? {} : { buildThreads: expected.buildThreads };
  const backend = expected.backend ? { backend: expected.backend } : {};
  const options: HnswOptions = { ...params, dimensions, metric, ...threads, ...backend };
  return { options, graph, count, slots: header.slots, dead: new Set(viewFloat64(sections[0] ?? new Uint8Array())) };
}

function unreadableGraph(graph: string, error: unknown): CairnError {
  return new CairnError('INDEX_CORRUPT', `Index graph ${graph} cannot be read: ${(error as Error).message}`, { file: graph });
}

/** hnswlib trusts its file; check the size and the vector width before handing it over. */
function checkGraphFile(graph: string, header: Record<string, unknown>, dimensions: number): void {
  if (!existsSync(graph) || statSync(graph).size !== header.graphBytes) {
    throw new CairnError('INDEX_CORRUPT', `Index graph ${graph} is missing or truncated`, { file: graph });
  }
  const head = Buffer.alloc(48);
  const fd = openSync(graph, 'r');
  const got = readSync(fd, head, 0, 48, 0);
  closeSync(fd);
  // size_t fields: offsetLevel0, maxElements, count, sizePerElement, labelOffset, offsetData.
  if (got < 48 || Number(head.readBigUInt64LE(32)) - Number(head.readBigUInt64LE(40)) !== dimensions * 4) {
    throw new CairnError('INDEX_CORRUPT', `Index graph ${graph} does not hold ${dimensions}-dimensional vectors`, {
      file: graph,
    });
  }
  if (crcOfFile(graph) !== header.graphCrc) {
    throw new CairnError('INDEX_CORRUPT', `Index graph ${graph} fails its checksum`, { file: graph });
  }
}

export function createHnswIndex(options: HnswOptions): HnswIndex {
  return new HnswIndex(options);
}
