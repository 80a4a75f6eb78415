import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { HierarchicalNSW as StockHnsw } from 'hnswlib-node';
import type { Logger } from '../../core/index.ts';
import { defaultNativeCacheDir, nativeBuildInfo } from './native-build.ts';

const require = createRequire(import.meta.url);

/** The addon's HierarchicalNSW; the host build also takes Float32Array points. */
export type HnswNative = StockHnsw;
export type HnswConstructor = new (space: 'l2' | 'ip' | 'cosine', dimensions: number) => HnswNative;

export interface HnswBackend {
  HierarchicalNSW: HnswConstructor;
  /** 'host': compiled here for this CPU; 'portable': the npm build. */
  build: 'host' | 'portable';
  /** Points may be passed as Float32Array. */
  typedArrays: boolean;
  addon: string;
}

export interface BackendOptions {
  /** 'auto' loads the host build when it has been built (`npm run build:native`); 'off' never does. */
  native?: 'auto' | 'off';
  cacheDir?: string;
  logger?: Logger;
}

const cache = new Map<string, HnswBackend>();
let notified = false;

function portable(): HnswBackend {
  const addon = require('hnswlib-node') as { HierarchicalNSW: HnswConstructor };
  return {
    HierarchicalNSW: addon.HierarchicalNSW,
    build: 'portable',
    typedArrays: false,
    addon: require.resolve('hnswlib-node'),
  };
}

function tryHost(cacheDir: string, logger?: Logger): HnswBackend | null {
  const info = nativeBuildInfo(cacheDir);
  if (!existsSync(info.addon)) {
    if (!notified) {
      notified = true;
      logger?.info(
        'hnsw uses the portable hnswlib-node build; `npm run build:native` compiles it for this CPU (about 1.5x faster)',
      );
    }
    return null;
  }
  try {
    const addon = require(info.addon) as { HierarchicalNSW: HnswConstructor; cairnTypedArrays?: boolean };
    return {
      HierarchicalNSW: addon.HierarchicalNSW,
      build: 'host',
      typedArrays: addon.cairnTypedArrays === true,
      addon: info.addon,
    };
  } catch (error) {
    logger?.warn('the host hnswlib build could not be loaded; using the portable build', { error: (error as Error).message });
    return null;
  }
}

/** Loads (once per process) the fastest hnswlib build available here. */
export function loadHnswBackend(options: BackendOptions = {}): HnswBackend {
  const native = options.native ?? 'auto';
  const cacheDir = options.cacheDir ?? defaultNativeCacheDir();
  const key = `${native}\u0000${cacheDir}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const backend = (native === 'auto' ? tryHost(cacheDir, options.logger) : null) ?? portable();
  cache.set(key, backend);
  return backend;
}
