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
  save(file: string): Promise<void>;
}
