import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCairnError, silentLogger } from '../../core/index.ts';
import { createModelRegistry, type GenerateRequest, type Generator, type ModelRegistry } from '../../models/index.ts';
import type { GeneratedToken } from '../../models/types.ts';
import { writeTinyGguf } from '../fixtures/make-models.ts';
import { startFakeOpenAi } from './fake-openai.ts';
import { makeTempDir, testConfig } from './helpers.ts';

const temp = makeTempDir();
let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
let registry: ModelRegistry;
const generators: Record<string, Generator> = {};

beforeAll(async () => {
  fake = await startFakeOpenAi();
  const gguf = writeTinyGguf(`${temp.dir}/tiny.gguf`);
  registry = createModelRegistry({
    config: testConfig(temp.dir, { openaiBaseUrl: fake.url, contextSize: 1024, sequences: 2, gpu: 'cpu' }),
    logger: silentLogger,
  });
  for (const [name, ref] of [
    ['llama', gguf],
    ['openai', 'openai:fake-chat'],
  ] as const) {
    const result = await registry.generator(ref);
    if (!result.ok) throw new Error(result.reason);
    generators[name] = result.model;
  }
}, 60_000);

afterAll(async () => {
  await registry.dispose();
  await fake.close();
  temp.cleanup();
});

const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [
    { role: 'system', content: 'answer briefly' },
    { role: 'user', content },
  ],
  maxTokens: 12,
  temperature: 0,
  ...extra,
});

const SCHEMA = {
  type: 'object',
  properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } },
  required: ['answer', 'sure'],
  additionalProperties: false,
};

describe('llama.cpp token probabilities', () => {
  it("are the sampled tokens' own: at temperature 0 the streamed mean equals the completion mean", async () => {
    const llama = generators.llama as Generator;
    let sum = 0;
    let count = 0;
    for await (const token of llama.stream(ask('the cat sat on the mat'))) {
      if (token.logprob === undefined) continue;
      sum += token.logprob;
      count += token.logprobTokens ?? 1;
    }
    const completion = await llama.complete(ask('the cat sat on the mat'));
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(completion.tokens);
    // Not bit-identical: the second request reuses the cached prompt, so llama.cpp batches it differently.
    expect(completion.meanLogprob).toBeCloseTo(sum / count, 2);
  });

  it('are not asked for on grammar-bound (grader) requests', async () => {
    const completion = await (generators.llama as Generator).complete(ask('is the sky blue?', { maxTokens: 60 }), SCHEMA);
    expect(completion.meanLogprob).toBeUndefined();
  });
});

describe.each(['llama', 'openai'])('Generator contract: %s', (name) => {
  const get = () => generators[name] as Generator;

  it('completes within maxTokens, deterministically at temperature 0', async () => {
    const first = await get().complete(ask('the cat sat on the mat'));
    const again = await get().complete(ask('the cat sat on the mat'));
    expect(typeof first.text).toBe('string');
    expect(first.tokens).toBeGreaterThan(0);
    expect(first.tokens).toBeLessThanOrEqual(12);
    expect(again.text).toBe(first.text);
  });

  it('streams the same text that complete returns', async () => {
    const completion = await get().complete(ask('what is paris'));
    let streamed = '';
    for await (const token of get().stream(ask('what is paris'))) streamed += token.text;
    expect(streamed).toBe(completion.text);
  });

  it('reports token log-probabilities for free text: with streamed chunks and as a completion mean', async () => {
    const streamed: GeneratedToken[] = [];
    for await (const token of get().stream(ask('what is paris'))) streamed.push(token);
    const measured = streamed.filter((t) => t.logprob !== undefined);
    expect(measured.length).toBeGreaterThan(0);
    for (const t of measured) {
      expect(Number.isFinite(t.logprob)).toBe(true);
      expect(t.logprob).toBeLessThanOrEqual(0);
    }
    const completion = await get().complete(ask('what is paris'));
    expect(completion.meanLogprob).toBeLessThanOrEqual(0);
  });

  it('stops streaming when the signal aborts', async () => {
    const controller = new AbortController();
    const received: string[] = [];
    for await (const token of get().stream(ask('tell me a long story', { maxTokens: 200, signal: controller.signal }))) {
      received.push(token.text);
      controller.abort();
    }
    expect(received).toHaveLength(1);
    const after = await get().complete(ask('the cat sat on the mat'));
    expect(after.tokens).toBeGreaterThan(0);
  });

  it('returns schema-valid JSON for complete(request, schema)', async () => {
    const completion = await get().complete(ask('is the sky blue? answer in JSON', { maxTokens: 60 }), SCHEMA);
    const json = completion.json as { answer: string; sure: boolean };
    expect(['yes', 'no']).toContain(json.answer);
    expect(typeof json.sure).toBe('boolean');
    expect(Object.keys(json).sort()).toEqual(['answer', 'sure']);
    // Compact: no pretty-printing or trailing newlines for the model to spend tokens on.
    expect(completion.text).toBe(JSON.stringify(json));
  });

  it('serves concurrent requests from one model', async () => {
    const prompts = ['one', 'two', 'three', 'four', 'five'];
    const sequential: string[] = [];
    for (const p of prompts) sequential.push((await get().complete(ask(p, { maxTokens: 6 }))).text);
    const parallel = await Promise.all(prompts.map((p) => get().complete(ask(p, { maxTokens: 6 }))));
    expect(parallel.map((c) => c.text)).toEqual(sequential);
  });

  it('truncates a 100k-character prompt instead of failing', async () => {
    const completion = await get().complete(ask(`${'stone '.repeat(16_000)}\uD800 end`, { maxTokens: 4 }));
    expect(completion.tokens).toBeGreaterThan(0);
    expect(completion.tokens).toBeLessThanOrEqual(4);
  });

  it('refuses a request without messages', async () => {
    const error = await get()
      .complete({ messages: [] })
      .catch((e: unknown) => e);
    expect(isCairnError(error, 'VALIDATION')).toBe(true);
  });
});
