import { AutoModel, AutoTokenizer, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { embedderPreset } from './embedder-presets.ts';
import { clipText, type Dtype, describeLoadError, loadOnDevice, maxLengthOf, withLocalModel } from './transformers-env.ts';
import type { Embedder, EmbedRole } from './types.ts';

export interface TransformersEmbedderOptions {
  dir: string;
  cacheDir: string;
  id: string;
  /** The reference as the user wrote it; picks pooling and prefixes. */
  ref: string;
  dtype: Dtype;
  device: 'cpu' | 'cuda';
  batchSize: number;
}

/** A transformer embedder on transformers.js (ONNX Runtime): tokenize, run, pool, L2-normalize. */
export async function loadTransformersEmbedder(options: TransformersEmbedderOptions): Promise<Embedder> {
  const { dir, dtype } = options;
  const { tokenizer, model } = await withLocalModel(dir, options.cacheDir, async (id) => {
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
      const model = await loadOnDevice(options.device, (device) =>
        AutoModel.from_pretrained(id, { local_files_only: true, dtype, device }),
      );
      return { tokenizer, model };
    } catch (error) {
      throw describeLoadError(error, dir, dtype);
    }
  });
  const preset = embedderPreset(options.ref);
  const maxTokens = maxLengthOf(dir);
  const run = (texts: string[]) => embedBatch(tokenizer, model, texts, maxTokens, preset.pooling);
  const [probe] = await run(['dimension probe']);
  return {
    id: options.id,
    dimensions: probe?.length ?? 0,
    maxTokens,
    maxPassageTokens: Math.max(1, maxTokens - passageOverhead(tokenizer, preset.passagePrefix)),
    async embed(texts: string[], role: EmbedRole) {
      const prefix = role === 'query' ? preset.queryPrefix : preset.passagePrefix;
      const inputs = texts.map((t) => prefix + clipText(t, maxTokens));
      // Each batch is padded to its longest text: batches of similar lengths waste little of the run.
      const order = orderByLength(inputs);
      const out = new Array<Float32Array>(texts.length);
      for (let i = 0; i < order.length; i += options.batchSize) {
        // A model run holds the event loop for its whole duration (measured on CPU): others get a turn between batches.
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        const indices = order.slice(i, i + options.batchSize);
        const vectors = await run(indices.map((j) => inputs[j] as string));
        indices.forEach((j, k) => {
          out[j] = vectors[k] as Float32Array;
        });
      }
      return out;
    },
    countTokens: (text: string) => tokenizer.encode(clipText(text, maxTokens * 64), { add_special_tokens: false }).length,
    dispose: async () => {
      await model.dispose();
    },
  };
}

/**
 * Tokens the model adds around a passage: its special tokens and the passage prefix. The prefix
 * ends in a space (a word boundary), so its tokens and the text's add up.
 */
export function passageOverhead(tokenizer: PreTrainedTokenizer, prefix: string): number {
  return tokenizer.encode(prefix, { add_special_tokens: true }).length;
}

/**
 * Indices of `texts` from longest to shortest (ties keep their order). Characters stand in for
 * tokens: tokenizing twice would cost more than the closer fit saves.
 */
export function orderByLength(texts: readonly string[]): number[] {
  return texts.map((_, i) => i).sort((a, b) => (texts[b] as string).length - (texts[a] as string).length || a - b);
}

export async function embedBatch(
  tokenizer: PreTrainedTokenizer,
  model: PreTrainedModel,
  texts: string[],
  maxLength: number,
  pooling: 'mean' | 'cls',
): Promise<Float32Array[]> {
  const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength });
  const outputs = (await model(inputs)) as { last_hidden_state?: Tensor; token_embeddings?: Tensor };
  const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
  if (!hidden) throw new Error('model returned no last_hidden_state');
  return poolAndNormalize(hidden, inputs.attention_mask as Tensor, pooling);
}

/** Mean (masked) or first-token pooling over [batch, seq, dim], then L2 normalization. */
export function poolAndNormalize(hidden: Tensor, mask: Tensor, pooling: 'mean' | 'cls'): Float32Array[] {
  const [batch = 0, seq = 0, dim = 0] = hidden.dims;
  const data = hidden.data as Float32Array;
  const maskData = mask.data as BigInt64Array;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const vector = new Float32Array(dim);
    let count = 0;
    for (let s = 0; s < (pooling === 'cls' ? 1 : seq); s++) {
      if (pooling === 'mean' && maskData[b * seq + s] === 0n) continue;
      count++;
      const offset = (b * seq + s) * dim;
      for (let d = 0; d < dim; d++) vector[d] = (vector[d] ?? 0) + (data[offset + d] ?? 0);
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += ((vector[d] ?? 0) / Math.max(1, count)) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) / Math.max(1, count) : 0;
    for (let d = 0; d < dim; d++) vector[d] = (vector[d] ?? 0) * scale;
    out.push(vector);
  }
  return out;
}
