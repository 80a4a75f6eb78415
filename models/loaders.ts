import type { Llama } from 'node-llama-cpp';
import { CairnError, type Config, type Logger } from '../core/index.ts';
import * as backends from './backends.ts';
import type { HubOptions } from './hub.ts';
import type { OpenAiClientOptions } from './openai-client.ts';
import { type ModelRef, refBackend } from './refs.ts';
import { materialize } from './resolve.ts';
import type { Embedder, Generator, Reranker } from './types.ts';

export type ModelRole = 'embedder' | 'reranker' | 'generator';

export interface LoaderContext {
  config: Config;
  logger: Logger;
  hub: HubOptions;
  /** The shared llama.cpp runtime, started on first use. */
  llama: () => Promise<Llama>;
}

type Loader = (ref: string, parsed: ModelRef) => Promise<Embedder | Reranker | Generator>;

const LOCAL_HOST = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i;

/** An OpenAI-compatible server on this machine is allowed offline; a remote one is not. */
function openAiClient(config: Config, ref: string): OpenAiClientOptions {
  const m = config.models;
  if (!m.openaiBaseUrl) throw new CairnError('MODEL_MISSING', `${ref} needs models.openaiBaseUrl (CAIRN_OPENAI_BASE_URL)`);
  if (config.offline && !LOCAL_HOST.test(m.openaiBaseUrl)) {
    throw new CairnError('OFFLINE', `${ref} is served from ${m.openaiBaseUrl}, which offline mode forbids`);
  }
  return { baseUrl: m.openaiBaseUrl, apiKey: m.openaiApiKey, timeoutMs: m.requestTimeoutMs };
}

export function createLoaders(ctx: LoaderContext): Record<ModelRole, Loader> {
  const m = ctx.config.models;
  const onnx = { cacheDir: ctx.hub.cacheDir, dtype: m.dtype, device: m.device, batchSize: m.embedBatchSize };
  return {
    embedder: async (ref, parsed) => {
      const backend = refBackend(parsed);
      if (parsed.kind === 'openai') {
        const { loadOpenAiEmbedder } = await backends.openAiEmbedder();
        return loadOpenAiEmbedder(openAiClient(ctx.config, ref), parsed.model, { batchSize: m.embedBatchSize });
      }
      if (backend === 'llama') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is a GGUF generator, not an embedder`);
      const dir = await materialize(parsed, ctx.hub, m.dtype);
      if (backend === 'static') return (await backends.staticEmbedder()).loadStaticEmbedder(dir, ref);
      const id = m.dtype === 'fp32' ? ref : `${ref}#${m.dtype}`;
      return (await backends.transformersEmbedder()).loadTransformersEmbedder({ ...onnx, dir, id, ref });
    },
    reranker: async (ref, parsed) => {
      if (refBackend(parsed) !== 'transformers') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is not a cross-encoder model`);
      const dir = await materialize(parsed, ctx.hub, m.dtype);
      return (await backends.transformersReranker()).loadTransformersReranker({ ...onnx, dir, id: ref });
    },
    generator: async (ref, parsed) => {
      if (parsed.kind === 'openai') {
        return (await backends.openAiGenerator()).createOpenAiGenerator(openAiClient(ctx.config, ref), parsed.model);
      }
      if (refBackend(parsed) !== 'llama') throw new CairnError('MODEL_LOAD_FAILED', `${ref} is not a GGUF model`);
      const file = await materialize(parsed, ctx.hub, m.dtype);
      const { loadLlamaGenerator } = await backends.llamaGenerator();
      // A wrong or corrupt file is reported before the seconds-long llama.cpp start.
      (await backends.llamaRuntime()).checkGgufFile(file);
      const generator = await loadLlamaGenerator({
        llama: await ctx.llama(),
        file,
        id: ref,
        contextSize: m.contextSize,
        sequences: m.sequences,
        threads: m.threads,
      });
      ctx.logger.info(`generator ${ref} loaded`, { gpu: generator.gpu, gpuLayers: generator.gpuLayers });
      return generator;
    },
  };
}
