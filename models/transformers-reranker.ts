import { AutoModelForSequenceClassification, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import { clipText, type Dtype, describeLoadError, loadOnDevice, maxLengthOf, withLocalModel } from './transformers-env.ts';
import type { Reranker } from './types.ts';

export interface TransformersRerankerOptions {
  dir: string;
  cacheDir: string;
  id: string;
  dtype: Dtype;
  device: 'cpu' | 'cuda';
  batchSize: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A cross-encoder: (query, passage) pairs through one classifier logit, squashed by sigmoid. */
export async function loadTransformersReranker(options: TransformersRerankerOptions): Promise<Reranker> {
  const { dir, dtype } = options;
  const { tokenizer, model } = await withLocalModel(dir, options.cacheDir, async (id) => {
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
      const model = await loadOnDevice(options.device, (device) =>
        AutoModelForSequenceClassification.from_pretrained(id, { local_files_only: true, dtype, device }),
      );
      return { tokenizer, model };
    } catch (error) {
      throw describeLoadError(error, dir, dtype);
    }
  });
  const maxLength = maxLengthOf(dir);
  const scoreBatch = async (query: string, passages: string[]): Promise<number[]> => {
    const inputs = tokenizer(new Array(passages.length).fill(query), {
      text_pair: passages,
      padding: true,
      truncation: true,
      max_length: maxLength,
    });
    const { logits } = (await model(inputs)) as { logits: Tensor };
    const width = logits.dims[1] ?? 1;
    const data = logits.data as Float32Array;
    // One-logit heads are relevance scores; two-logit heads use the "relevant" class.
    return passages.map((_, i) => sigmoid(width === 1 ? (data[i] ?? 0) : (data[i * width + 1] ?? 0) - (data[i * width] ?? 0)));
  };
  return {
    id: options.id,
    async score(query: string, passages: string[]) {
      const q = clipText(query, maxLength);
      const scores: number[] = [];
      for (let i = 0; i < passages.length; i += options.batchSize) {
        const batch = passages.slice(i, i + options.batchSize).map((p) => clipText(p, maxLength));
        scores.push(...(await scoreBatch(q, batch)));
      }
      return scores;
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}
