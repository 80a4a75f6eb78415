import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isCairnError, silentLogger } from '../../core/index.ts';
import { createModelRegistry, type Embedder, type Generator } from '../../models/index.ts';
import { loadOpenAiEmbedder } from '../../models/openai-embedder.ts';
import { createOpenAiGenerator } from '../../models/openai-generator.ts';
import { startFakeOpenAi } from './fake-openai.ts';
import { makeTempDir, testConfig } from './helpers.ts';

const temp = makeTempDir();
let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
let embedder: Embedder;
let generator: Generator;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  const client = { baseUrl: `${fake.url}/v1/`, apiKey: 'sk-test', timeoutMs: 300 };
  embedder = await loadOpenAiEmbedder(client, 'emb', { batchSize: 2 });
  generator = createOpenAiGenerator(client, 'chat');
});

beforeEach(() => fake.setMode('ok'));

afterAll(async () => {
  await fake.close();
  temp.cleanup();
});

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (isCairnError(error)) return error.code;
    throw error;
  }
}

const request = { messages: [{ role: 'user' as const, content: 'hi there' }], maxTokens: 5 };

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // consume
  }
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('OpenAI-compatible backends', () => {
  it('sends the model, the key and batches of the configured size', async () => {
    fake.requests.length = 0;
    await embedder.embed(['a', 'b', 'c'], 'passage');
    expect(fake.requests.map((r) => (r as { body: { input: string[] } }).body.input)).toEqual([['a', 'b'], ['c']]);
    expect((fake.requests[0] as { auth: string }).auth).toBe('Bearer sk-test');
    expect((fake.requests[0] as { body: { model: string } }).body.model).toBe('emb');
  });

  it('reports mean logprob and token usage when the server sends them', async () => {
    const completion = await generator.complete(request);
    expect(completion.text).toBe('echo: hi there');
    expect(completion.tokens).toBe(3);
    expect(completion.meanLogprob).toBe(-0.5);
  });

  it('asks for logprobs on free text and streams one log-probability per token', async () => {
    fake.requests.length = 0;
    const streamed = await collect(generator.stream(request));
    expect(streamed).toEqual([
      { text: 'echo: ', logprob: -0.1 },
      { text: 'hi ', logprob: -0.2 },
      { text: 'there', logprob: -0.3 },
    ]);
    expect(fake.requests.map((r) => (r as { body: { logprobs?: boolean } }).body.logprobs)).toEqual([true]);
  });

  it('splits a multi-token event by its logprob entries, or sums them with their count', async () => {
    fake.setMode('pairs');
    const long = { messages: [{ role: 'user' as const, content: 'a b c' }], maxTokens: 9 };
    expect(await collect(generator.stream(long))).toEqual([
      { text: 'echo: ', logprob: -0.1 },
      { text: 'a ', logprob: -0.2 },
      { text: 'b ', logprob: -0.3 },
      { text: 'c', logprob: -0.4 },
    ]);
    fake.setMode('pairsUnspelled');
    const summed = await collect(generator.stream(long));
    expect(summed.map((t) => t.text)).toEqual(['echo: a ', 'b c']);
    expect(summed.map((t) => t.logprobTokens)).toEqual([2, 2]);
    expect(summed[0]?.logprob).toBeCloseTo(-0.3, 12);
    expect(summed[1]?.logprob).toBeCloseTo(-0.7, 12);
  });

  it('reports no log-probability, never a zero, from a server that ignores the field', async () => {
    fake.setMode('noLogprobs');
    expect(await collect(generator.stream(request))).toEqual([{ text: 'echo: ' }, { text: 'hi ' }, { text: 'there' }]);
    expect((await generator.complete(request)).meanLogprob).toBeUndefined();
  });

  it('asks again without logprobs when the server refuses them, and no longer asks', async () => {
    const refused = createOpenAiGenerator({ baseUrl: fake.url, apiKey: null, timeoutMs: 300 }, 'chat');
    fake.setMode('refuseLogprobs');
    fake.requests.length = 0;
    expect(await collect(refused.stream(request))).toEqual([{ text: 'echo: ' }, { text: 'hi ' }, { text: 'there' }]);
    expect((await refused.complete(request)).text).toBe('echo: hi there');
    expect(fake.requests.map((r) => (r as { body: { logprobs?: boolean } }).body.logprobs)).toEqual([true, undefined, undefined]);
  });

  it('does not ask for logprobs on schema (grader) requests', async () => {
    fake.requests.length = 0;
    await generator.complete(request, { type: 'object' });
    expect((fake.requests[0] as { body: Record<string, unknown> }).body.logprobs).toBeUndefined();
  });

  it('returns output that is not JSON as text without json, so the grader can retry it', async () => {
    fake.setMode('notJson');
    const completion = await generator.complete(request, { type: 'object' });
    expect(completion).toEqual({ text: 'Sure! The answer is yes.', tokens: 5 });
  });

  it.each([
    ['error500', 'UPSTREAM_FAILED'],
    ['malformed', 'UPSTREAM_FAILED'],
    ['hang', 'TIMEOUT'],
    ['wrongCount', 'UPSTREAM_FAILED'],
  ] as const)('embedder: a server in mode %s gives %s', async (mode, code) => {
    fake.setMode(mode);
    expect(await codeOf(embedder.embed(['a', 'b'], 'query'))).toBe(code);
  });

  it.each([
    ['error500', 'UPSTREAM_FAILED'],
    ['malformed', 'UPSTREAM_FAILED'],
    ['hang', 'TIMEOUT'],
  ] as const)('generator: a server in mode %s gives %s', async (mode, code) => {
    fake.setMode(mode);
    expect(await codeOf(generator.complete(request))).toBe(code);
    expect(await codeOf(drain(generator.stream(request)))).toBe(mode === 'malformed' ? 'UPSTREAM_FAILED' : code);
  });

  it('rejects a malformed stream event', async () => {
    fake.setMode('badEvent');
    expect(await codeOf(drain(generator.stream(request)))).toBe('UPSTREAM_FAILED');
  });

  it('returns a value, not a throw, when the embedding server is down at load', async () => {
    const registry = createModelRegistry({
      config: testConfig(temp.dir, { openaiBaseUrl: 'http://127.0.0.1:9', requestTimeoutMs: 500 }),
      logger: silentLogger,
    });
    const result = await registry.embedder('openai:emb');
    expect(result.ok ? 'ok' : result.code).toBe('UPSTREAM_FAILED');
  });
});
