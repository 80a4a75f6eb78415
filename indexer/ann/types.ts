/** Dense vector indexes: flat (exact), hnsw and ivf behind one contract. */

export type Metric = 'cosine' | 'ip' | 'l2';
export type VectorIndexKind = 'flat' | 'hnsw' | 'ivf';

export interface SearchOptions {
  /** Only labels for which this is true (or that are in this set) may be returned. */
  filter?: ((label: number) => boolean) | Set<number>;
  /** Search effort: ef for hnsw, nprobe for ivf; ignored by flat. */
  effort?: number;
}

export interface SearchHit {
  /** The chunk rowid. */
  label: number;
  /** Higher is better: cosine similarity, inner product, or negative L2 distance. */
  score: number;
}

export interface VectorIndex {
  readonly kind: VectorIndexKind;
  readonly dimensions: number;
  readonly metric: Metric;
  add(labels: number[], vectors: Float32Array[]): void;
  remove(labels: number[]): void;
  search(query: Float32Array, k: number, options?: SearchOptions): SearchHit[];
  size(): number;
  has(label: number): boolean;
  /** Every label in the index (live ones only), in no particular order. */
  labels(): number[];
  /** Writes the index to `file` (a temporary name, then renamed). Load with `loadVectorIndex`. */
  save(file: string): Promise<void>;
  /** What `loadVectorIndex` needs besides the file, plus sizes for reports. */
  describe(): IndexDescription;
}

export interface HnswParams {
  m: number;
  efConstruction: number;
  ef: number;
  /** Below this fraction of the collection a filter is answered by exact search over the allowed set. */
  exactFilterBelow: number;
}

export interface IvfParams {
  /** Lists; 0 = about 4·√N at training time. */
  nlist: number;
  nprobe: number;
  quantize: boolean;
  /** Candidates re-scored in float32 per result when quantized (k · rescore). */
  rescore: number;
  iterations: number;
}

export interface IndexDescription {
  kind: VectorIndexKind;
  metric: Metric;
  dimensions: number;
  size: number;
  /** Bytes held in memory by the index (vectors, graph or lists, labels). */
  memoryBytes: number;
  params: Record<string, number | boolean | string>;
}
