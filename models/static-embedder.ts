import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { CairnError } from '../core/index.ts';
import { parseSafetensors, type SafeTensor } from './safetensors.ts';
import { toWellFormed } from './text.ts';
import type { Embedder, EmbedRole } from './types.ts';

/** model2vec encodes at most this many tokens per text (its `max_length` default). */
const MAX_TOKENS = 512;

interface StaticWeights {
  embeddings: Float32Array | Float64Array;
  dimensions: number;
  /** Token id → embedding row, for vocabulary-quantized models; identity when absent. */
  mapping: Int32Array | null;
  /** Per-token weight (SIF), when the model stores them separately. */
  weights: Float64Array | Float32Array | null;
  normalize: boolean;
}

/**
 * model2vec static embeddings: token vectors looked up, weighted, mean-pooled, L2-normalized,
 * all in TypeScript. Sums run in float64 so the result matches the Python library.
 */
export async function loadStaticEmbedder(dir: string, id: string): Promise<Embedder> {
  const weights = readWeights(dir);
  const { tokenizer, unkId } = readTokenizer(dir);
  const tokenIds = (text: string): number[] => {
    // A token spans at least one character, so 32 characters per token keeps every token needed.
    const clipped = toWellFormed(text.length > MAX_TOKENS * 32 ? text.slice(0, MAX_TOKENS * 32) : text);
    const ids = tokenizer.encode(clipped, { add_special_tokens: false });
    return (unkId === undefined ? ids : ids.filter((t) => t !== unkId)).slice(0, MAX_TOKENS);
  };
  return {
    id,
    dimensions: weights.dimensions,
    maxTokens: MAX_TOKENS,
    embed: async (texts: string[], _role: EmbedRole) => texts.map((text) => pool(weights, tokenIds(text))),
    countTokens: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length,
  };
}

function pool(w: StaticWeights, ids: number[]): Float32Array {
  const sum = new Float64Array(w.dimensions);
  for (const id of ids) {
    const row = w.mapping ? (w.mapping[id] ?? 0) : id;
    const scale = w.weights ? (w.weights[id] ?? 1) : 1;
    const offset = row * w.dimensions;
    for (let d = 0; d < w.dimensions; d++) sum[d] = (sum[d] ?? 0) + (w.embeddings[offset + d] ?? 0) * scale;
  }
  let norm = 0;
  for (let d = 0; d < w.dimensions; d++) {
    sum[d] = (sum[d] ?? 0) / Math.max(1, ids.length);
    norm += (sum[d] ?? 0) ** 2;
  }
  const out = new Float32Array(w.dimensions);
  const scale = w.normalize && norm > 0 ? 1 / Math.sqrt(norm) : 1;
  for (let d = 0; d < w.dimensions; d++) out[d] = (sum[d] ?? 0) * scale;
  return out;
}

function readWeights(dir: string): StaticWeights {
  const file = path.join(dir, 'model.safetensors');
  const tensors = parseSafetensors(readFileSync(file), file);
  const embeddings = tensors.get('embeddings') ?? tensors.get('embedding.weight');
  if (embeddings?.shape.length !== 2) {
    throw new CairnError('MODEL_CORRUPT', `${file} has no 2-D "embeddings" tensor`, { file });
  }
  const config = readJson(path.join(dir, 'config.json')) as { normalize?: boolean } | null;
  return {
    embeddings: embeddings.data as Float32Array | Float64Array,
    dimensions: embeddings.shape[1] ?? 0,
    mapping: asInt32(tensors.get('mapping')),
    weights: (tensors.get('weights')?.data as Float64Array | Float32Array | undefined) ?? null,
    normalize: config?.normalize ?? true,
  };
}

function asInt32(tensor: SafeTensor | undefined): Int32Array | null {
  if (!tensor) return null;
  if (tensor.data instanceof Int32Array) return tensor.data;
  return Int32Array.from(tensor.data as ArrayLike<number | bigint>, (v) => Number(v));
}

function readTokenizer(dir: string): { tokenizer: PreTrainedTokenizer; unkId: number | undefined } {
  const file = path.join(dir, 'tokenizer.json');
  const json = readJson(file);
  if (!json) throw new CairnError('MODEL_CORRUPT', `${file} is missing or not JSON`, { file });
  const config = readJson(path.join(dir, 'tokenizer_config.json')) ?? {};
  try {
    const tokenizer = new PreTrainedTokenizer(json, config);
    return { tokenizer, unkId: tokenizer.unk_token_id ?? unknownId(json) };
  } catch (error) {
    throw new CairnError('MODEL_CORRUPT', `${file} cannot be read as a tokenizer: ${(error as Error).message}`, { file });
  }
}

/** The [UNK] id from tokenizer.json itself, for models that ship no tokenizer_config.json. */
function unknownId(json: Record<string, unknown>): number | undefined {
  const model = json.model as { unk_id?: number; unk_token?: string; vocab?: unknown } | undefined;
  if (typeof model?.unk_id === 'number') return model.unk_id;
  const vocab = model?.vocab;
  if (model?.unk_token && vocab && !Array.isArray(vocab)) return (vocab as Record<string, number>)[model.unk_token];
  return undefined;
}

function readJson(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
