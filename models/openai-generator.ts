import { CairnError } from '../core/index.ts';
import { endpoint, type OpenAiClientOptions, postJson, readJson, readSse } from './openai-client.ts';
import type { Completion, GeneratedToken, GenerateRequest, Generator, JsonSchema } from './types.ts';

interface ChatChoice {
  message?: { content?: string | null };
  delta?: { content?: string | null };
  logprobs?: { content?: { logprob?: number }[] | null } | null;
}

interface ChatResponse {
  choices?: ChatChoice[];
  usage?: { completion_tokens?: number };
}

/** `/v1/chat/completions` with SSE streaming and `response_format: json_schema`. */
export function createOpenAiGenerator(client: OpenAiClientOptions, model: string): Generator {
  const url = endpoint(client.baseUrl, '/chat/completions');
  const body = (request: GenerateRequest, stream: boolean, schema?: JsonSchema) => {
    if (request.messages.length === 0) throw new CairnError('VALIDATION', 'A generate request needs at least one message');
    return {
      model,
      messages: request.messages,
      stream,
      max_tokens: request.maxTokens ?? 512,
      temperature: request.temperature ?? 0,
      ...(request.stop && request.stop.length > 0 ? { stop: request.stop } : {}),
      ...(schema ? { response_format: { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } } } : {}),
    };
  };
  return {
    id: `openai:${model}`,
    async *stream(request) {
      if (request.signal?.aborted) return;
      let response: Response;
      try {
        response = await postJson(client, '/chat/completions', body(request, true), request.signal);
      } catch (error) {
        if (request.signal?.aborted) return;
        throw error;
      }
      try {
        for await (const token of parseStream(response, url, client.timeoutMs)) {
          if (request.signal?.aborted) return;
          yield token;
        }
      } catch (error) {
        if (!request.signal?.aborted) throw error;
      }
    },
    async complete(request, schema) {
      const response = await postJson(client, '/chat/completions', body(request, false, schema), request.signal);
      return toCompletion((await readJson(response, url, client.timeoutMs)) as ChatResponse, url, schema);
    },
  };
}

async function* parseStream(response: Response, url: string, timeoutMs: number): AsyncGenerator<GeneratedToken> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    const text = await response.text().catch(() => '');
    throw new CairnError('UPSTREAM_FAILED', `${url} did not stream (content-type ${type || 'none'}): ${text.slice(0, 120)}`, {
      url,
    });
  }
  for await (const data of readSse(response, url, timeoutMs)) {
    if (data === '[DONE]') return;
    let chunk: ChatResponse;
    try {
      chunk = JSON.parse(data) as ChatResponse;
    } catch {
      throw new CairnError('UPSTREAM_FAILED', `${url} sent a malformed stream event: ${data.slice(0, 120)}`, { url });
    }
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content;
    if (!text) continue;
    const logprob = choice?.logprobs?.content?.[0]?.logprob;
    yield logprob === undefined ? { text } : { text, logprob };
  }
}

function toCompletion(response: ChatResponse, url: string, schema?: JsonSchema): Completion {
  const choice = response?.choices?.[0];
  const text = choice?.message?.content;
  if (typeof text !== 'string') throw new CairnError('UPSTREAM_FAILED', `${url} returned no message content`, { url });
  const logprobs = (choice?.logprobs?.content ?? []).map((c) => c.logprob).filter((n): n is number => typeof n === 'number');
  const completion: Completion = { text, tokens: response.usage?.completion_tokens ?? logprobs.length };
  if (logprobs.length > 0) completion.meanLogprob = logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  if (!schema) return completion;
  try {
    completion.json = JSON.parse(text);
  } catch {
    throw new CairnError(
      'UPSTREAM_FAILED',
      `${url} returned text that is not the JSON the schema asks for: ${text.slice(0, 120)}`,
      { url },
    );
  }
  return completion;
}
