import { CairnError } from '../core/index.ts';
import { endpoint, type OpenAiClientOptions, postJson, readJson, readSse } from './openai-client.ts';
import type { Completion, GeneratedToken, GenerateRequest, Generator, JsonSchema } from './types.ts';

interface ChatChoice {
  message?: { content?: string | null };
  delta?: { content?: string | null };
  logprobs?: { content?: { token?: string; logprob?: number }[] | null } | null;
}

interface ChatResponse {
  choices?: ChatChoice[];
  usage?: { completion_tokens?: number };
}

/**
 * `/v1/chat/completions` with SSE streaming and `response_format: json_schema`. Free-text requests
 * ask for `logprobs` so the gate can count the answer's likelihood; a server that refuses the field
 * (HTTP 400 naming it) is asked again without it, and from then on never, and its answers then
 * carry no log-probabilities (the gate says the term is unavailable instead of counting zero).
 */
export function createOpenAiGenerator(client: OpenAiClientOptions, model: string): Generator {
  const url = endpoint(client.baseUrl, '/chat/completions');
  let logprobs = true;
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
      ...(logprobs && !schema ? { logprobs: true } : {}),
    };
  };
  const post = async (request: GenerateRequest, stream: boolean, schema?: JsonSchema) => {
    const asked = logprobs && !schema;
    try {
      return await postJson(client, '/chat/completions', body(request, stream, schema), request.signal);
    } catch (error) {
      if (!asked || !refusesLogprobs(error)) throw error;
      logprobs = false;
      return postJson(client, '/chat/completions', body(request, stream, schema), request.signal);
    }
  };
  return {
    id: `openai:${model}`,
    // Serving engines (vLLM, TGI, llama.cpp server slots, Ollama) batch concurrent requests; one that
    // queues them still answers, only without the overlap of grading and generating.
    parallel: 4,
    async *stream(request) {
      if (request.signal?.aborted) return;
      let response: Response;
      try {
        response = await post(request, true);
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
      const response = await post(request, false, schema);
      return toCompletion((await readJson(response, url, client.timeoutMs)) as ChatResponse, url, schema);
    },
  };
}

function refusesLogprobs(error: unknown): boolean {
  if (!(error instanceof CairnError) || error.details?.status !== 400) return false;
  return /logprob/i.test(error.message);
}

/**
 * A stream chunk as tokens: one per logprob entry when the entries spell the chunk's text, else the
 * whole text with the entries' sum and count; the text alone when the server sent no logprobs.
 */
function chunkTokens(text: string, choice: ChatChoice | undefined): GeneratedToken[] {
  const entries = (choice?.logprobs?.content ?? []).filter((c) => typeof c.logprob === 'number');
  if (entries.length === 0) return [{ text }];
  if (entries.length > 1 && entries.map((e) => e.token ?? '\u0000').join('') === text) {
    return entries.map((e) => ({ text: e.token as string, logprob: e.logprob as number }));
  }
  const sum = entries.reduce((a, e) => a + (e.logprob as number), 0);
  return [entries.length === 1 ? { text, logprob: sum } : { text, logprob: sum, logprobTokens: entries.length }];
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
    yield* chunkTokens(text, choice);
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
  // Output that is not JSON is returned as text without `json`: the grader retries it like a schema miss.
  const json = parseJson(text);
  if (json !== undefined) completion.json = json;
  return completion;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
