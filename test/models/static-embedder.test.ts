import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { parseSafetensors } from '../../models/safetensors.ts';
import { loadStaticEmbedder } from '../../models/static-embedder.ts';
import { M2V_FIXTURE_DIR } from '../fixtures/make-models.ts';
import { cosine, makeTempDir } from './helpers.ts';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe('static model2vec embedder', () => {
  it('reproduces the reference embedding of the real m2v model exactly (to float32)', async () => {
    const embedder = await loadStaticEmbedder(M2V_FIXTURE_DIR, 'static:m2v');
    const reference = JSON.parse(readFileSync(path.join(M2V_FIXTURE_DIR, 'reference-embeddings.json'), 'utf8')) as number[][];
    const [vector] = await embedder.embed([Array(1000).fill('hello').join(' ')], 'passage');
    expect(embedder.dimensions).toBe(64);
    expect(Array.from(vector as Float32Array)).toEqual((reference[0] as number[]).map((x) => Math.fround(x)));
  });

  it('tokenizes with the Unigram tokenizer and ranks related text higher', async () => {
    const embedder = await loadStaticEmbedder(M2V_FIXTURE_DIR, 'static:m2v');
    expect(embedder.countTokens?.('cat on the mat')).toBe(4);
    const [cat, kitten, crash] = await embedder.embed(['cat on the mat', 'kitten on the rug', 'stock-market crash'], 'passage');
    expect(cosine(cat as Float32Array, kitten as Float32Array)).toBeGreaterThan(
      cosine(cat as Float32Array, crash as Float32Array),
    );
  });

  it('names the file when the safetensors file is corrupt', () => {
    const file = path.join(temp.dir, 'bad.safetensors');
    writeFileSync(file, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 123]));
    let caught: unknown;
    try {
      parseSafetensors(readFileSync(file), file);
    } catch (error) {
      caught = error;
    }
    expect(isCairnError(caught, 'MODEL_CORRUPT')).toBe(true);
    expect((caught as Error).message).toContain(file);
  });
});
