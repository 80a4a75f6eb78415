import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { createHashEmbedder, createModelRegistry, type Embedder, type ModelRegistry } from '../../models/index.ts';
import { M2V_FIXTURE_DIR, writeTinyEmbedder } from '../fixtures/make-models.ts';
import { startFakeOpenAi } from './fake-openai.ts';
import { makeTempDir, norm, testConfig } from './helpers.ts';

const temp = makeTempDir();
let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
let registry: ModelRegistry;
const embedders: Record<string, Embedder> = {};

beforeAll(async () => {
  fake = await startFakeOpenAi();
  const tiny = writeTinyEmbedder(`${temp.dir}/tiny-embedder`);
  registry = createModelRegistry({
    config: testConfig(temp.dir, { openaiBaseUrl: fake.url, embedBatchSize: 8 }),
    logger: silentLogger,
  });
  embedders.hash = createHashEmbedder(64);
  for (const [name, ref] of [
    ['onnx', tiny],
    ['static', `static:${M2V_FIXTURE_DIR}`],
    ['openai', 'openai:fake-embed'],
  ] as const) {
    const result = await registry.embedder(ref);
    if (!result.ok) throw new Error(result.reason);
    embedders[name] = result.model;
  }
});

afterAll(async () => {
  await registry.dispose();
  await fake.close();
  temp.cleanup();
});

const EXPECTED_DIMENSIONS: Record<string, number> = { hash: 64, onnx: 32, static: 64, openai: 48 };
/** maxTokens less what the model adds: [CLS]/[SEP] for the ONNX BERT (128 positions), two assumed for a remote model. */
const EXPECTED_PASSAGE_TOKENS: Record<string, number> = { hash: 512, onnx: 126, static: 512, openai: 510 };
/** The own tokenizer's count of a Chinese sentence (the m2v vocabulary has the piece "▁气▁很▁好"); none for a remote model. */
const EXPECTED_ZH_TOKENS: Record<string, number | undefined> = { hash: 6, onnx: 7, static: 5, openai: undefined };

describe.each(['hash', 'onnx', 'static', 'openai'])('Embedder contract: %s', (name) => {
  const get = () => embedders[name] as Embedder;

  it('describes itself', () => {
    expect(get().dimensions).toBe(EXPECTED_DIMENSIONS[name]);
    expect(get().id.length).toBeGreaterThan(0);
    expect(get().maxTokens).toBeGreaterThan(0);
    expect(get().maxPassageTokens).toBe(EXPECTED_PASSAGE_TOKENS[name]);
  });

  it('counts tokens of the text alone with its own tokenizer, where it has one', () => {
    expect(get().countTokens?.('今天天气很好。')).toBe(EXPECTED_ZH_TOKENS[name]);
  });

  it('returns one unit vector per text, in order, deterministically', async () => {
    const texts = ['the cat sat on the mat', 'paris is the capital of france', 'a red book'];
    const first = await get().embed(texts, 'passage');
    const again = await get().embed(texts, 'passage');
    expect(first).toHaveLength(3);
    for (const [i, v] of first.entries()) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(get().dimensions);
      expect(norm(v)).toBeCloseTo(1, 4);
      expect(Array.from(v)).toEqual(Array.from(again[i] as Float32Array));
    }
  });

  it('gives the same vector alone as in a batch', async () => {
    const [alone] = await get().embed(['the kitten ran'], 'passage');
    const batch = await get().embed(['a much longer text that forces padding on the other one', 'the kitten ran'], 'passage');
    const inBatch = batch[1] as Float32Array;
    for (let i = 0; i < inBatch.length; i++) expect(inBatch[i]).toBeCloseTo((alone as Float32Array)[i] as number, 4);
  });

  it('embeds more texts than one batch', async () => {
    const texts = Array.from({ length: 19 }, (_, i) => `text number ${i}`);
    const vectors = await get().embed(texts, 'query');
    expect(vectors).toHaveLength(19);
  });

  it('handles empty, huge and broken input without throwing', async () => {
    const huge = 'word '.repeat(20_000);
    const broken = `bad \uD800 surrogate \uFFFD text`;
    const vectors = await get().embed(['', huge, broken], 'passage');
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v.length).toBe(get().dimensions);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(await get().embed([], 'query')).toEqual([]);
  });
});
