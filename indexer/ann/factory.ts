import { availableParallelism } from 'node:os';
import type { Config, Logger } from '../../core/index.ts';
import { CairnError } from '../../core/index.ts';
import { FlatIndex } from './flat.ts';
import { HnswIndex } from './hnsw.ts';
import type { BackendOptions } from './hnsw-backend.ts';
import { type FetchVectors, IvfIndex } from './ivf.ts';
import type { Metric, VectorIndex, VectorIndexKind } from './types.ts';

export interface IndexSpec {
  kind: VectorIndexKind;
  dimensions: number;
  metric: Metric;
  /** Expected number of vectors (sizes the hnsw graph up front). */
  capacity?: number;
  /** Float source for SQ8 re-scoring in ivf. */
  fetchVectors?: FetchVectors;
}

function backendOptions(config: Config['index'], logger?: Logger): BackendOptions {
  return { native: config.hnswNative, ...(logger ? { logger } : {}) };
}

/** `index.buildThreads`, 'auto' being one per core. */
export function resolveBuildThreads(setting: Config['index']['buildThreads'], cores = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, cores) : setting;
}

/** A new empty index of a kind, with parameters from the `index` config section. */
export function createVectorIndex(spec: IndexSpec, config: Config['index'], logger?: Logger): VectorIndex {
  const { kind, dimensions, metric } = spec;
  if (kind === 'flat') return new FlatIndex({ dimensions, metric, ...(spec.capacity ? { capacity: spec.capacity } : {}) });
  if (kind === 'hnsw') {
    return new HnswIndex({
      dimensions,
      metric,
      m: config.hnswM,
      efConstruction: config.hnswEfConstruction,
      ef: config.hnswEf,
      exactFilterBelow: config.hnswExactFilterBelow,
      capacity: spec.capacity ?? 1024,
      buildThreads: resolveBuildThreads(config.buildThreads),
      backend: backendOptions(config, logger),
    });
  }
  return new IvfIndex({
    dimensions,
    metric,
    nlist: config.ivfNlist,
    nprobe: config.ivfNprobe,
    quantize: config.ivfQuantize,
    rescore: config.ivfRescore,
    iterations: config.ivfIterations,
    ...(spec.fetchVectors ? { fetchVectors: spec.fetchVectors } : {}),
  });
}

/** Loads an index file written by `save`; a wrong kind, metric or width is INDEX_MISMATCH, damage INDEX_CORRUPT. */
export function loadVectorIndex(file: string, spec: Omit<IndexSpec, 'capacity'>, config?: Config['index']): VectorIndex {
  const expected = { metric: spec.metric, dimensions: spec.dimensions };
  switch (spec.kind) {
    case 'flat':
      return FlatIndex.load(file, expected);
    case 'hnsw':
      return HnswIndex.load(file, {
        ...expected,
        ...(config ? { backend: backendOptions(config), buildThreads: resolveBuildThreads(config.buildThreads) } : {}),
      });
    case 'ivf':
      return IvfIndex.load(file, { ...expected, ...(spec.fetchVectors ? { fetchVectors: spec.fetchVectors } : {}) });
    default:
      throw new CairnError('INDEX_MISMATCH', `Unknown index kind ${String(spec.kind)}`);
  }
}

/**
 * As `loadVectorIndex`, with an hnsw graph read off the thread (the big case: flat indexes are
 * small by design, and ivf reads its lists in JavaScript either way).
 */
export async function loadVectorIndexAsync(
  file: string,
  spec: Omit<IndexSpec, 'capacity'>,
  config?: Config['index'],
): Promise<VectorIndex> {
  if (spec.kind !== 'hnsw') return loadVectorIndex(file, spec, config);
  return HnswIndex.loadAsync(file, {
    metric: spec.metric,
    dimensions: spec.dimensions,
    ...(config ? { backend: backendOptions(config), buildThreads: resolveBuildThreads(config.buildThreads) } : {}),
  });
}
