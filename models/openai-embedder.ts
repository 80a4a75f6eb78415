import { CairnError } from '../core/index.ts';
import { normalize } from './hash-embedder.ts';
import { endpoint, type OpenAiClientOptions, postJson, readJson } from './openai-client.ts';
import { toWellFormed } from './text.ts';
import type { Embedder, EmbedRole } from './types.ts';

interface EmbeddingsResponse {
  data?: { embedding?: number[]; index?: number }[];
}

/** `/v1/embeddings` on a vLLM, TGI, llama.cpp, Ollama or LM Studio server. */
export async function loadOpenAiEmbedder(
  client: OpenAiClientOptions,
  model: string,
  options: { batchSize: number; maxTokens?: number },
): Promise<Embedder> {
  const url = endpoint(client.baseUrl, '/embeddings');
  const request = async (texts: string[]): Promise<Float32Array[]> => {
    const response = await postJson(client, '/embeddings', { model, input: texts });
    const body = (await readJson(response, url, client.timeoutMs)) as EmbeddingsResponse;
    const data = Array.isArray(body?.data) ? body.data : null;
    if (!data || data.length !== texts.length || data.some((d) => !Array.isArray(d.embedding))) {
      throw new CairnError('UPSTREAM_FAILED', `${url} returned ${data?.length ?? 'no'} embeddings for ${texts.length} inputs`, {
        url,
      });
    }
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return ordered.map((d) => normalize(Float32Array.from(d.embedding as number[])));
  };
  const [probe] = await request(['dimension probe']);
  const dimensions = probe?.length ?? 0;
  const maxTokens = options.maxTokens ?? 512;
  return {
    id: `openai:${model}`,
    dimensions,
    maxTokens,
    // The server's tokenizer is not known here: room is left for the two special tokens BERT and XLM-R models add.
    maxPassageTokens: Math.max(1, maxTokens - 2),
    async embed(texts: string[], _role: EmbedRole) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += options.batchSize) {
        // Servers reject empty strings; a single space embeds as "nothing" everywhere.
        const batch = texts.slice(i, i + options.batchSize).map((t) => (t.length === 0 ? ' ' : toWellFormed(t)));
        const vectors = await request(batch);
        if (vectors.some((v) => v.length !== dimensions)) {
          throw new CairnError('DIMENSION_MISMATCH', `${url} changed embedding size from ${dimensions}`, {
            expected: dimensions,
          });
        }
        out.push(...vectors);
      }
      return out;
    },
  };
}
