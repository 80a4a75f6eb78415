/** The ANN room's door: vector indexes (flat, hnsw, ivf) and the per-collection manager. */

export { type BuildLease, leaseFile, tryAcquireLease } from './build-lease.ts';
export { type BuildJob, createInlineBuilder, createThreadBuilder, type IndexBuilder } from './builder.ts';
export { createVectorIndex, type IndexSpec, loadVectorIndex, loadVectorIndexAsync } from './factory.ts';
export { createFlatIndex, FlatIndex, type FlatOptions } from './flat.ts';
export { createHnswIndex, DEFAULT_HNSW, HnswIndex, type HnswOptions } from './hnsw.ts';
export { type HnswBackend, loadHnswBackend } from './hnsw-backend.ts';
export { createIvfIndex, DEFAULT_IVF, defaultNlist, type FetchVectors, IvfIndex, type IvfOptions } from './ivf.ts';
export { type AnnManager, type AnnManagerOptions, createAnnManager } from './manager.ts';
export { collectionFolder } from './manifest.ts';
export type {
  HnswParams,
  IndexDescription,
  IvfParams,
  Metric,
  SearchHit,
  SearchOptions,
  VectorIndex,
  VectorIndexKind,
} from './types.ts';
