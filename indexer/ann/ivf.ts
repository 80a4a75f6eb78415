import { CairnError } from '../../core/index.ts';
import { HnswIndex } from './hnsw.ts';
import {
  checkHeader,
  decodeSections,
  encodeSections,
  viewFloat32,
  viewFloat64,
  viewUint32,
  writeFileAtomic,
} from './index-file.ts';
import { IvfLists } from './ivf-lists.ts';
import { createRandom, trainKMeans } from './kmeans.ts';
import { type Sq8, trainSq8 } from './sq8.ts';
import type { IndexDescription, IvfParams, Metric, SearchHit, SearchOptions, VectorIndex } from './types.ts';
import { checkAddInput, checkK, prepareVector, scoreAt, TopK, toPredicate } from './vector-math.ts';

const MAGIC = 'CAIRNIVF';

const EXACT_FILTER_BELOW = 0.05;
/** From this many lists on, a graph over the centroids replaces scoring them all. */
const COARSE_GRAPH_FROM = 256;

export const DEFAULT_IVF: IvfParams = { nlist: 0, nprobe: 16, quantize: false, rescore: 8, iterations: 8 };

/** Reads float vectors by label from the source of truth (SQLite), for re-scoring SQ8 candidates. */
export type FetchVectors = (labels: number[]) => (Float32Array | null)[];

export interface IvfOptions extends Partial<IvfParams> {
  dimensions: number;
  metric?: Metric;
  /** Below this many vectors the index stays one exact list (k-means on a handful of points is noise). */
  minTrainSize?: number;
  seed?: number;
  /**
   * With quantization, where float vectors come from for re-scoring. Without it the floats are
   * kept in memory next to the codes (no memory saving, same answers).
   */
  fetchVectors?: FetchVectors;
}

/** nlist ≈ 4·√N, at least 1 and at most N/8 so lists are not near-empty. */
export function defaultNlist(n: number): number {
  return Math.max(1, Math.min(Math.round(4 * Math.sqrt(n)), Math.floor(n / 8)));
}

/**
 * Inverted file: k-means centroids and one list per centroid; a search scores the centroids,
 * scans the `nprobe` best lists and, when quantized, re-scores the best k·rescore candidates in
 * float32. The index retrains itself when it has grown 4× since its last training.
 */
export class IvfIndex implements VectorIndex {
  readonly kind = 'ivf' as const;
  readonly dimensions: number;
  readonly metric: Metric;
  readonly params: IvfParams;
  private readonly minTrainSize: number;
  private readonly seed: number;
  private readonly fetchVectors: FetchVectors | null;
  private centroids: Float32Array = new Float32Array(0);
  private sq: Sq8 | null = null;
  private lists: IvfLists;
  private trainedSize = 0;
  private quantizer: HnswIndex | null = null;

  constructor(options: IvfOptions) {
    if (!Number.isInteger(options.dimensions) || options.dimensions <= 0) {
      throw new CairnError('VALIDATION', `dimensions must be a positive integer; got ${options.dimensions}`);
    }
    this.dimensions = options.dimensions;
    this.metric = options.metric ?? 'cosine';
    this.params = { ...DEFAULT_IVF, ...definedOnly(options) };
    this.minTrainSize = options.minTrainSize ?? 1024;
    this.seed = options.seed ?? 42;
    this.fetchVectors = this.params.quantize ? (options.fetchVectors ?? null) : null;
    this.lists = this.emptyLists(1, null);
  }

  private emptyLists(nlist: number, sq: Sq8 | null): IvfLists {
    return new IvfLists(nlist, this.dimensions, sq, sq === null || this.fetchVectors === null);
  }

  get trained(): boolean {
    return this.trainedSize > 0;
  }

  add(labels: number[], vectors: Float32Array[]): void {
    checkAddInput(labels, vectors);
    const prepared = vectors.map((v) => prepareVector(v, this.dimensions, this.metric));
    const fresh = new Set(labels.filter((label) => !this.lists.has(label))).size;
    const total = this.lists.size + fresh;
    const due = this.trained ? total >= 4 * this.trainedSize : total >= this.minTrainSize;
    if (due) {
      this.retrain(labels, prepared);
      return;
    }
    labels.forEach((label, i) => {
      this.insert(label, prepared[i]!);
    });
  }

  private insert(label: number, vector: Float32Array): void {
    this.lists.remove(label);
    const list = this.trained ? this.nearestLists(vector, 1)[0]! : 0;
    this.lists.append(list, label, vector);
  }

  /** Trains on everything (stored plus new) and rebuilds the lists. */
  private retrain(labels: number[], prepared: Float32Array[]): void {
    const incoming = new Map<number, Float32Array>();
    labels.forEach((label, i) => {
      incoming.set(label, prepared[i]!);
    });
    const all = new Map<number, Float32Array>();
    for (const [label, vector] of this.lists.floats(this.fetchVector)) if (!incoming.has(label)) all.set(label, vector);
    for (const [label, vector] of incoming) all.set(label, vector);
    const n = all.size;
    const nlist = this.params.nlist > 0 ? Math.min(this.params.nlist, n) : defaultNlist(n);
    const sample = this.sample([...all.values()], Math.min(n, Math.max(nlist * 16, 4096)));
    const sampleCount = sample.length / this.dimensions;
    this.centroids = trainKMeans(sample, sampleCount, {
      k: nlist,
      dimensions: this.dimensions,
      spherical: this.metric === 'cosine',
      iterations: this.params.iterations,
      seed: this.seed,
      assigner: (centroids, k) => {
        const graph = this.coarseGraph(centroids, k);
        return graph ? (vector) => graph.search(vector, 1, { effort: 32 })[0]?.label ?? 0 : null;
      },
    });
    this.quantizer = this.coarseGraph(this.centroids, nlist);
    this.sq = this.params.quantize ? trainSq8(sample, sampleCount, this.dimensions) : null;
    this.lists = this.emptyLists(nlist, this.sq);
    this.trainedSize = n;
    const entries = [...all];
    const assigned = Int32Array.from(entries, ([, vector]) => this.nearestLists(vector, 1)[0]!);
    // Sized exactly, so a fresh training carries no growth slack.
    this.lists.reserve(assigned);
    entries.forEach(([label, vector], i) => {
      this.lists.append(assigned[i]!, label, vector);
    });
  }

  /**
   * With many lists, scoring every centroid dominates both training and search; a small HNSW
   * graph over the centroids (an HNSW coarse quantizer, as in faiss's IVF-HNSW) finds the nearest
   * lists approximately in a fraction of the time.
   */
  private coarseGraph(centroids: Float32Array, k: number): HnswIndex | null {
    if (k < COARSE_GRAPH_FROM) return null;
    const d = this.dimensions;
    const graph = new HnswIndex({
      dimensions: d,
      metric: this.metric === 'cosine' ? 'ip' : 'l2',
      m: 16,
      efConstruction: 80,
      capacity: k,
    });
    graph.add(
      Array.from({ length: k }, (_, c) => c),
      Array.from({ length: k }, (_, c) => centroids.subarray(c * d, (c + 1) * d)),
    );
    return graph;
  }

  private readonly fetchVector = (labels: number[]): (Float32Array | null)[] => {
    if (!this.fetchVectors) return labels.map(() => null);
    return this.fetchVectors(labels).map((v) => (v ? prepareVector(v, this.dimensions, this.metric) : null));
  };

  private sample(vectors: Float32Array[], size: number): Float32Array {
    const random = createRandom(this.seed ^ vectors.length);
    const picked = vectors.slice();
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(random() * (picked.length - i));
      [picked[i], picked[j]] = [picked[j]!, picked[i]!];
    }
    const data = new Float32Array(size * this.dimensions);
    for (let i = 0; i < size; i++) data.set(picked[i]!, i * this.dimensions);
    return data;
  }

  /** The `count` lists whose centroids score best against the vector. */
  private nearestLists(vector: Float32Array, count: number): number[] {
    const nlist = this.lists.nlist;
    if (!this.trained || count >= nlist) return Array.from({ length: nlist }, (_, i) => i);
    if (this.quantizer) return this.quantizer.search(vector, count, { effort: Math.max(48, 2 * count) }).map((hit) => hit.label);
    const top = new TopK(count);
    for (let c = 0; c < nlist; c++)
      top.push(
        c,
        scoreAt(this.metric === 'ip' ? 'l2' : this.metric, vector, this.centroids, c * this.dimensions, this.dimensions),
      );
    return top.result().map((hit) => hit.label);
  }

  remove(labels: number[]): void {
    for (const label of labels) this.lists.remove(label);
  }

  search(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    const q = prepareVector(query, this.dimensions, this.metric, 'query');
    const want = Math.min(checkK(k), this.lists.size);
    if (want === 0) return [];
    const filter = options.filter;
    if (filter instanceof Set && filter.size <= EXACT_FILTER_BELOW * this.lists.size) return this.exactOver(q, want, filter);
    const allowed = toPredicate(filter);
    const nprobe = Math.max(1, options.effort ?? this.params.nprobe);
    const hits = this.searchLists(q, want, this.nearestLists(q, nprobe), allowed);
    if (hits.length >= want || !allowed || nprobe >= this.lists.nlist) return hits;
    // A selective filter left too few candidates in the probed lists: scan every list.
    return this.searchLists(q, want, this.nearestLists(q, this.lists.nlist), allowed);
  }

  /** A filter that keeps a few percent of the collection: score exactly what it allows. */
  private exactOver(q: Float32Array, k: number, filter: Set<number>): SearchHit[] {
    const labels = [...filter].filter((label) => this.lists.has(label));
    const vectors = this.lists.floatsOf(labels, this.fetchVector);
    const top = new TopK(k);
    labels.forEach((label, i) => {
      const vector = vectors[i];
      if (vector) top.push(label, scoreAt(this.metric, q, vector, 0, this.dimensions));
    });
    return top.result();
  }

  private searchLists(q: Float32Array, k: number, probe: number[], allowed: ((label: number) => boolean) | null): SearchHit[] {
    if (!this.sq) return this.lists.scanFloats(this.metric, q, probe, k, allowed);
    const candidates = this.lists.scanCodes(this.metric, q, probe, k * Math.max(1, this.params.rescore), allowed);
    const vectors = this.lists.floatsOf(candidates, this.fetchVector);
    const top = new TopK(k);
    candidates.forEach((label, i) => {
      const vector = vectors[i];
      if (vector) top.push(label, scoreAt(this.metric, q, vector, 0, this.dimensions));
    });
    return top.result();
  }

  size(): number {
    return this.lists.size;
  }

  has(label: number): boolean {
    return this.lists.has(label);
  }

  labels(): number[] {
    return this.lists.labels();
  }

  describe(): IndexDescription {
    return {
      kind: 'ivf',
      metric: this.metric,
      dimensions: this.dimensions,
      size: this.lists.size,
      memoryBytes: this.centroids.byteLength + (this.sq ? this.dimensions * 8 : 0) + this.lists.memoryBytes(),
      params: { ...this.params, nlist: this.lists.nlist, trainedSize: this.trainedSize, floatsInMemory: this.lists.holdsFloats },
    };
  }

  async save(file: string): Promise<void> {
    const header = {
      kind: 'ivf',
      version: 1,
      metric: this.metric,
      dimensions: this.dimensions,
      count: this.lists.size,
      nlist: this.lists.nlist,
      trainedSize: this.trainedSize,
      params: this.params,
      holdsFloats: this.lists.holdsFloats,
    };
    const sq = this.sq ?? { min: new Float32Array(0), scale: new Float32Array(0) };
    writeFileAtomic(file, encodeSections(MAGIC, header, [this.centroids, sq.min, sq.scale, ...this.lists.sections()]));
  }

  static load(file: string, expected: { metric?: Metric; dimensions?: number; fetchVectors?: FetchVectors } = {}): IvfIndex {
    const { header, sections } = decodeSections(file, MAGIC);
    const { metric, dimensions, count } = checkHeader(file, header, expected);
    const params = header.params as IvfParams;
    const needsSource = params.quantize && !header.holdsFloats;
    if (needsSource && !expected.fetchVectors) {
      throw new CairnError('INDEX_MISMATCH', `Index file ${file} keeps no float vectors; loading it needs a vector source`, {
        file,
      });
    }
    const source = needsSource && expected.fetchVectors ? { fetchVectors: expected.fetchVectors } : {};
    const index = new IvfIndex({ ...params, dimensions, metric, ...source });
    const [centroids, min, scale, ...rest] = sections;
    const nlist = Number(header.nlist);
    if (
      !centroids ||
      !min ||
      !scale ||
      !Number.isInteger(nlist) ||
      centroids.byteLength !== (Number(header.trainedSize) > 0 ? nlist * dimensions * 4 : 0)
    ) {
      throw new CairnError('INDEX_CORRUPT', `Index file ${file} is corrupt: bad centroid section`, { file });
    }
    index.centroids = viewFloat32(centroids).slice();
    index.sq = params.quantize ? { min: viewFloat32(min).slice(), scale: viewFloat32(scale).slice() } : null;
    index.trainedSize = Number(header.trainedSize);
    index.quantizer = index.trainedSize > 0 ? index.coarseGraph(index.centroids, nlist) : null;
    index.lists = IvfLists.fromSections(nlist, dimensions, index.sq, Boolean(header.holdsFloats), rest, count, file, {
      float32: viewFloat32,
      float64: viewFloat64,
      uint32: viewUint32,
    });
    return index;
  }
}

function definedOnly(options: Partial<IvfParams>): Partial<IvfParams> {
  const out: Partial<IvfParams> = {};
  for (const key of ['nlist', 'nprobe', 'quantize', 'rescore', 'iterations'] as const) {
    if (options[key] !== undefined) (out as Record<string, unknown>)[key] = options[key];
  }
  return out;
}

export function createIvfIndex(options: IvfOptions): IvfIndex {
  return new IvfIndex(options);
}
