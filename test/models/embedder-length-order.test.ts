import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../../models/index.ts';
import { loadTransformersEmbedder, orderByLength } from '../../models/transformers-embedder.ts';
import { writeTinyEmbedder } from '../fixtures/make-models.ts';
import { makeTempDir } from './helpers.ts';

const temp = makeTempDir();
let batched: Embedder;

async function load(dir: string, batchSize: number): Promise<Embedder> {
  return loadTransformersEmbedder({
    dir,
    cacheDir: path.join(temp.dir, 'cache'),
    id: 'tiny',
    ref: dir,
    dtype: 'fp32',
    device: 'cpu',
    batchSize,
  });
}

beforeAll(async () => {
  batched = await load(writeTinyEmbedder(path.join(temp.dir, 'tiny-embedder')), 3);
});

afterAll(async () => {
  await batched.dispose?.();
  temp.cleanup();
});

const WORDS = 'stone cairns mark the trail above the tree line where paths fade into moss and scree'.split(' ');
/** Lengths from 1 to 40 words, shuffled, so every batch of the unsorted order mixes short and long. */
const TEXTS = [7, 1, 33, 12, 2, 40, 5, 21, 3, 17, 9, 28, 1, 14].map((n, i) =>
  Array.from({ length: n }, (_, j) => WORDS[(i + j * 5) % WORDS.length]).join(' '),
);

describe('length-sorted batches in the transformers embedder', () => {
  it('orders indices longest first, keeping ties in input order', () => {
    expect(orderByLength(['bb', 'a', 'cccc', 'dd', ''])).toEqual([2, 0, 3, 1, 4]);
    expect(orderByLength([])).toEqual([]);
  });

  it('returns each text its own vector, in input order, as if embedded alone', async () => {
    const vectors = await batched.embed(TEXTS, 'passage');
    expect(vectors).toHaveLength(TEXTS.length);
    for (const [i, text] of TEXTS.entries()) {
      const [alone] = await batched.embed([text], 'passage');
      const got = vectors[i] as Float32Array;
      expect(got.length).toBe(batched.dimensions);
      let worst = 0;
      for (let d = 0; d < got.length; d++) worst = Math.max(worst, Math.abs((got[d] ?? 0) - ((alone as Float32Array)[d] ?? 0)));
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('gives the same vectors whatever order the texts come in', async () => {
    const forward = await batched.embed(TEXTS, 'passage');
    const reversed = await batched.embed([...TEXTS].reverse(), 'passage');
    for (const [i, v] of forward.entries()) {
      const other = reversed[TEXTS.length - 1 - i] as Float32Array;
      for (let d = 0; d < v.length; d++) expect(Math.abs((v[d] ?? 0) - (other[d] ?? 0))).toBeLessThan(1e-5);
    }
  });
});
