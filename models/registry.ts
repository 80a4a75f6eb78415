import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Llama } from 'node-llama-cpp';
import { CairnError, type Config, type ErrorCode, isCairnError, type Logger, modelsDir } from '../core/index.ts';
import * as backends from './backends.ts';
import { DEFAULT_HUB_URL, type HubOptions, sizeOnDisk } from './hub.ts';
import { createLoaders, type ModelRole } from './loaders.ts';
import type { DownloadProgress } from './progress.ts';
import { parseModelRef, refBackend } from './refs.ts';
import { locate, materialize } from './resolve.ts';
import type { Availability, Embedder, Generator, Reranker } from './types.ts';

export type { ModelRole };

export interface ModelInfo {
  role: ModelRole;
  ref: string;
  backend: 'openai' | 'static' | 'llama' | 'transformers' | 'unknown';
  /** File or folder the model loads from (null for OpenAI-compatible servers). */
  location: string | null;
  present: boolean;
  sizeBytes: number | null;
  missing: string[];
}

export interface PullResult {
  role: ModelRole;
  ref: string;
  ok: boolean;
  code?: ErrorCode;
  reason?: string;
  location?: string;
}

export interface ModelRegistryOptions {
  config: Config;
  logger: Logger;
  onProgress?: (e: DownloadProgress) => void;
  /** Hugging Face mirror; tests point it at a local server. */
  hubUrl?: string;
}

export interface ModelRegistry {
  embedder(ref: string): Promise<Availability<Embedder>>;
  reranker(ref: string): Promise<Availability<Reranker>>;
  generator(ref: string): Promise<Availability<Generator>>;
  list(): Promise<ModelInfo[]>;
  /** Downloads the configured models (or only the given roles) into the cache. */
  pull(roles?: ModelRole[]): Promise<PullResult[]>;
  dispose(): Promise<void>;
}

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const { config, logger } = options;
  const m = config.models;
  const cacheDir = modelsDir(config);
  const hub: HubOptions = {
    cacheDir,
    offline: config.offline,
    hubUrl: options.hubUrl ?? DEFAULT_HUB_URL,
    timeoutMs: m.requestTimeoutMs,
    onProgress: options.onProgress,
  };
  const loaded = new Map<string, Promise<Availability<unknown>>>();
  const disposers: (() => Promise<void>)[] = [];
  let llama: Promise<Llama> | null = null;

  const loaders = createLoaders({
    config,
    logger,
    hub,
    llama: () => {
      llama ??= backends.llamaRuntime().then((r) => r.loadLlamaRuntime(m.gpu, logger));
      return llama;
    },
  });

  function get<T>(role: ModelRole, ref: string): Promise<Availability<T>> {
    const key = `${role}\u0000${ref}`;
    const existing = loaded.get(key);
    if (existing) return existing as Promise<Availability<T>>;
    const attempt = load<T>(role, ref);
    loaded.set(key, attempt);
    // A miss is not remembered: the model may be pulled or the server started later.
    attempt.then((result) => {
      if (!result.ok) loaded.delete(key);
    });
    return attempt;
  }

  async function load<T>(role: ModelRole, ref: string): Promise<Availability<T>> {
    const parsed = parseModelRef(ref);
    if (!parsed) return { ok: false, code: 'VALIDATION', reason: `"${ref}" is not a model reference` };
    try {
      const model = await loaders[role](ref, parsed);
      if (model.dispose) disposers.push(() => (model.dispose as () => Promise<void>)());
      return { ok: true, model: model as T };
    } catch (error) {
      const code: ErrorCode = isCairnError(error) ? error.code : 'MODEL_LOAD_FAILED';
      const reason = `${role} ${ref}: ${(error as Error).message}`;
      logger.warn(reason, { code });
      return { ok: false, code, reason };
    }
  }

  const configured = (): [ModelRole, string][] =>
    (['embedder', 'reranker', 'generator'] as const).flatMap((role) => (m[role] ? [[role, m[role]] as [ModelRole, string]] : []));

  return {
    embedder: (ref) => get<Embedder>('embedder', ref),
    reranker: (ref) => get<Reranker>('reranker', ref),
    generator: (ref) => get<Generator>('generator', ref),
    list: async () => configured().map(([role, ref]) => describeModel(role, ref, cacheDir, m.dtype)),
    async pull(roles) {
      const results: PullResult[] = [];
      for (const [role, ref] of configured()) {
        if (roles && !roles.includes(role)) continue;
        results.push(await pullOne(role, ref, hub, m.dtype));
      }
      return results;
    },
    async dispose() {
      for (const dispose of disposers.splice(0)) await dispose().catch(() => undefined);
      loaded.clear();
      if (llama) await (await llama).dispose();
      llama = null;
    },
  };
}

async function pullOne(role: ModelRole, ref: string, hub: HubOptions, dtype: Config['models']['dtype']): Promise<PullResult> {
  const parsed = parseModelRef(ref);
  if (!parsed) return { role, ref, ok: false, code: 'VALIDATION', reason: `"${ref}" is not a model reference` };
  if (parsed.kind === 'openai') return { role, ref, ok: true, reason: 'served by an OpenAI-compatible server' };
  try {
    return { role, ref, ok: true, location: await materialize(parsed, hub, dtype) };
  } catch (error) {
    return { role, ref, ok: false, code: isCairnError(error) ? error.code : 'MODEL_MISSING', reason: (error as Error).message };
  }
}

export function describeModel(role: ModelRole, ref: string, cacheDir: string, dtype: Config['models']['dtype']): ModelInfo {
  const parsed = parseModelRef(ref);
  if (!parsed) return { role, ref, backend: 'unknown', location: null, present: false, sizeBytes: null, missing: [] };
  let { path: location, missing } = locate(parsed, cacheDir, dtype);
  if (parsed.kind === 'gguf-hub' && location && existsSync(location)) {
    const file = readdirSync(location).find(
      (f) => f.toLowerCase().endsWith('.gguf') && f.toLowerCase().includes(parsed.quant.toLowerCase()),
    );
    if (file) {
      location = path.join(location, file);
      missing = [];
    }
  }
  const present = parsed.kind === 'openai' || missing.length === 0;
  return {
    role,
    ref,
    backend: refBackend(parsed),
    location,
    present,
    sizeBytes: location && present ? sizeOnDisk(location) : null,
    missing,
  };
}

/** Refuses an embedder whose vectors would not fit a collection's, naming both sizes. */
export function assertDimensions(embedder: Pick<Embedder, 'id' | 'dimensions'>, expected: number): void {
  if (embedder.dimensions !== expected) {
    throw new CairnError(
      'DIMENSION_MISMATCH',
      `Embedder ${embedder.id} makes ${embedder.dimensions}-dimensional vectors but the collection holds ${expected}-dimensional ones`,
      { model: embedder.id, dimensions: embedder.dimensions, expected },
    );
  }
}
