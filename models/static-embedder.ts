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
  const { tokenizer, unkId, maxChars } = readTokenizer(dir);
  const tokenIds = (text: string): number[] => {
    const ids = tokenizer.encode(toWellFormed(clipCodePoints(text, maxChars)), { add_special_tokens: false });
    return (unkId === undefined ? ids : ids.filter((t) => t !== unkId)).slice(0, MAX_TOKENS);
  };
  return {
    id,
    dimensions: weights.dimensions,
    maxTokens: MAX_TOKENS,
    // model2vec adds no special tokens and no prefix.
    maxPassageTokens: MAX_TOKENS,
    embed: async (texts: string[], _role: EmbedRole) => texts.map((text) => pool(weights, tokenIds(text))),
    countTokens: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length,
  };
}

/**
 * model2vec cuts the text to `max_length * median token length` code points before tokenizing
 * (Python `sentence[:m]`), so a text of long words keeps fewer than 512 tokens; we do the same.
 */
export function clipCodePoints(text: string, maxChars: number): string {
  // UTF-16 length bounds the code point count from above, so short texts need no walk.
  if (text.length <= maxChars) return text;
  let count = 0;
  let end = 0;
  for (const char of text) {
    if (count === maxChars) return text.slice(0, end);
    count++;
    end += char.length;
  }
  return text;
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

interface StaticTokenizer {
  tokenizer: PreTrainedTokenizer;
  unkId: number | undefined;
  maxChars: number;
}

function readTokenizer(dir: string): StaticTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  const json = readJson(file);
  if (!json) throw new CairnError('MODEL_CORRUPT', `${file} is missing or not JSON`, { file });
  const config = readJson(path.join(dir, 'tokenizer_config.json')) ?? {};
  try {
    const tokenizer = new PreTrainedTokenizer(json, config);
    const vocab = vocabulary(json);
    return { tokenizer, unkId: unknownId(json, vocab), maxChars: MAX_TOKENS * medianTokenLength(vocab) };
  } catch (error) {
    throw new CairnError('MODEL_CORRUPT', `${file} cannot be read as a tokenizer: ${(error as Error).message}`, { file });
  }
}

/** Token → id over the model's vocabulary plus added tokens, like `Tokenizer.get_vocab()`. */
function vocabulary(json: Record<string, unknown>): Map<string, number> {
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = new Map<string, number>();
  if (Array.isArray(model?.vocab)) {
    // Unigram: [piece, score] pairs, the id being the position.
    for (const [index, [piece]] of (model.vocab as [string, number][]).entries()) vocab.set(piece, index);
  } else if (model?.vocab && typeof model.vocab === 'object') {
    for (const [piece, index] of Object.entries(model.vocab as Record<string, number>)) vocab.set(piece, index);
  }
  for (const added of (json.added_tokens as { id: number; content: string }[] | undefined) ?? []) {
    vocab.set(added.content, added.id);
  }
  return vocab;
}

/**
 * The [UNK] id model2vec drops: only a model that names an `unk_token` (WordPiece, WordLevel,
 * BPE). A Unigram model has only `unk_id`, which model2vec (Python and Rust) does not look at,
 * so its [UNK] tokens stay in the mean.
 */
function unknownId(json: Record<string, unknown>, vocab: Map<string, number>): number | undefined {
  const unkToken = (json.model as { unk_token?: unknown } | undefined)?.unk_token;
  return typeof unkToken === 'string' ? vocab.get(unkToken) : undefined;
}

/** `int(np.median(len(token) for token in vocab))`, lengths in code points as Python counts them. */
export function medianTokenLength(vocab: Map<string, number>): number {
  const lengths = [...vocab.keys()].map((token) => [...token].length).sort((a, b) => a - b);
  if (lengths.length === 0) return 1;
  const mid = lengths.length >> 1;
  const median = lengths.length % 2 ? (lengths[mid] ?? 1) : ((lengths[mid - 1] ?? 1) + (lengths[mid] ?? 1)) / 2;
  return Math.max(1, Math.trunc(median));
}

function readJson(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
