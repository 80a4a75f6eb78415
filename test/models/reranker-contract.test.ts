import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { createModelRegistry, type ModelRegistry, type Reranker } from '../../models/index.ts';
import { writeTinyReranker } from '../fixtures/make-models.ts';
import { makeTempDir, testConfig } from './helpers.ts';

const temp = makeTempDir();
let registry: ModelRegistry;
const rerankers: Record<string, Reranker> = {};

beforeAll(async () => {
  const dir = writeTinyReranker(`${temp.dir}/tiny-reranker`);
  registry = createModelRegistry({ config: testConfig(temp.dir, { embedBatchSize: 4 }), logger: silentLogger });
  const result = await registry.reranker(dir);
  if (!result.ok) throw new Error(result.reason);
  rerankers.onnx = result.model;
});

afterAll(async () => {
  await registry.dispose();
  temp.cleanup();
});

describe.each(['onnx'])('Reranker contract: %s', (name) => {
  const get = () => rerankers[name] as Reranker;
  const passages = [
    'the cat sat on the mat',
    'paris is in france',
    '',
    'word '.repeat(20_000),
    'bad \uD800 text',
    'a',
    'b',
    'c',
    'd',
  ];

  it('scores every passage, in order, between 0 and 1', async () => {
    const scores = await get().score('where is the cat', passages);
    expect(scores).toHaveLength(passages.length);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
  });

  it('gives the same score whatever the batch around a pair (comparable across calls)', async () => {
    const all = await get().score('where is the cat', passages);
    const alone = await get().score('where is the cat', ['paris is in france']);
    expect(alone[0]).toBeCloseTo(all[1] as number, 5);
  });

  it('returns no scores for no passages', async () => {
    expect(await get().score('q', [])).toEqual([]);
  });
});
