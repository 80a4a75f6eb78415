import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Llama } from 'node-llama-cpp';
import { CairnError, type Config, type ErrorCode, isCairnError, type Logger, modelsDir } from '../core/index.ts';
import * as backends from './backends.ts';
import { DEFAULT_HUB_URL, type HubOptions, sizeOnDisk } from './hub.ts';
import type { DownloadProgress } from './progress.ts';
import { type ModelRef, parseModelRef, refBackend } from './refs.ts';
import { locate, materialize } from './resolve.ts';
import type { Availability, Embedder, Generator, Reranker } from './types.ts';

export type ModelRole = 'embedder' | 'reranker' | 'generator';

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

const LOCAL_HOST = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i;

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

  const openAiClient = (ref: string) => {
    if (!m.openaiBaseUrl) throw new CairnError('MODEL_MISSING', `${ref} needs models.openaiBaseUrl (CAIRN_OPENAI_BASE_URL)`);
    if (config.offline && !LOCAL_HOST.test(m.openaiBaseUrl)) {
      throw new CairnError('OFFLINE', `${ref} is served from ${m.openaiBaseUrl}, which offline mode forbids`);
    }
    return { baseUrl: m.openaiBaseUrl, apiKey: m.openaiApiKey, timeoutMs: m.requestTimeoutMs };
  };

  const loaders: Record<ModelRole, (ref: string, parsed: ModelRef) => Promise<Embedder | Reranker | Generator>> = {
    embedder: async (ref, parsed) => {
      const backend = refBackend(parsed);
      if (parsed.kind === 'openai')
        return (await backends.openAiEmbedder()).loadOpenAiEmbedder(openAiClient(ref), parsed.model, {
          batchSize: m.embedBatchSize,
        });
      if (backend === 'llama') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is a GGUF generator, not an embedder`);
      const dir = await materialize(parsed, hub, m.dtype);
      if (backend === 'static') return (await backends.staticEmbedder()).loadStaticEmbedder(dir, ref);
      const id = m.dtype === 'fp32' ? ref : `${ref}#${m.dtype}`;
      return (await backends.transformersEmbedder()).loadTransformersEmbedder({
        dir,
        cacheDir,
        id,
        ref,
        dtype: m.dtype,
        device: m.device,
        batchSize: m.embedBatchSize,
      });
    },
    reranker: async (ref, parsed) => {
      if (refBackend(parsed) !== 'transformers') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is not a cross-encoder model`);
      const dir = await materialize(parsed, hub, m.dtype);
      return (await backends.transformersReranker()).loadTransformersReranker({
        dir,
        cacheDir,
        id: ref,
        dtype: m.dtype,
        device: m.device,
        batchSize: m.embedBatchSize,
      });
    },
    generator: async (ref, parsed) => {
      if (parsed.kind === 'openai')
        return (await backends.openAiGenerator()).createOpenAiGenerator(openAiClient(ref), parsed.model);
      if (refBackend(parsed) !== 'llama') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is not a GGUF model`);
      const file = await materialize(parsed, hub, m.dtype);
      llama ??= backends.llamaRuntime().then((r) => r.loadLlamaRuntime(m.gpu, logger));
      const generator = await (await backends.llamaGenerator()).loadLlamaGenerator({
        llama: await llama,
        file,
        id: ref,
        contextSize: m.contextSize,
        sequences: m.sequences,
        threads: m.threads,
      });
      logger.info(`generator ${ref} loaded`, { gpu: generator.gpu, gpuLayers: generator.gpuLayers });
      return generator;
    },
  };

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
