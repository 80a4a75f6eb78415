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
