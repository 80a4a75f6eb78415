import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { parseSafetensors } from '../../models/safetensors.ts';
import { clipCodePoints, loadStaticEmbedder } from '../../models/static-embedder.ts';
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

  it('splits multi-word text into the token ids Hugging Face tokenizers gives', () => {
    const json = JSON.parse(readFileSync(path.join(M2V_FIXTURE_DIR, 'tokenizer.json'), 'utf8'));
    const tokenizer = new PreTrainedTokenizer(json, {});
    const ids = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    // ▁cat ▁on ▁the ▁mat | ▁kitten ▁on ▁the ▁rug | ▁cat | ▁stock ▁- ▁market ▁crash ("-" is spaced
    // by the Replace normalizers), checked against a separate Python port of the HF pipeline.
    expect(ids('cat on the mat')).toEqual([3939, 1009, 999, 12525]);
    expect(ids('kitten on the rug')).toEqual([17403, 1009, 999, 19454]);
    expect(ids('cat')).toEqual([3939]);
    expect(ids('stock-market crash')).toEqual([3520, 14, 2008, 4825]);
    // Unknown characters (and the lone "▁" before them) fuse into one [UNK], id 1.
    expect(ids('emoji 😀😀 end')).toEqual([44, 4304, 3480, 1, 1205]);
  });

  it('gives the cosines that the model2vec recipe gives for two sentence pairs', async () => {
    // SOURCE.txt claims 0.404 and 0.074; those cannot come from this model: "cat" is one token
    // (row 52) and every token of "stock-market crash" sits in rows 89, 108 or 55, whose best
    // non-negative mix has cosine 0.0078 with row 52. numpy with the same recipe gives these.
    const embedder = await loadStaticEmbedder(M2V_FIXTURE_DIR, 'static:m2v');
    const [cat, kitten, lone, crash] = (await embedder.embed(
      ['cat on the mat', 'kitten on the rug', 'cat', 'stock-market crash'],
      'passage',
    )) as Float32Array[];
    expect(cosine(cat as Float32Array, kitten as Float32Array)).toBeCloseTo(0.50756, 5);
    expect(cosine(lone as Float32Array, crash as Float32Array)).toBeCloseTo(-0.10506, 5);
  });

  it('keeps [UNK] in the mean for a Unigram model, as model2vec does', async () => {
    // model2vec drops [UNK] only when the tokenizer model has `unk_token`; Unigram has `unk_id`.
    const embedder = await loadStaticEmbedder(M2V_FIXTURE_DIR, 'static:m2v');
    const tensors = parseSafetensors(readFileSync(path.join(M2V_FIXTURE_DIR, 'model.safetensors')), 'm2v');
    const row = (tensors.get('mapping')?.data as Int32Array | undefined)?.[1] ?? -1;
    const embeddings = tensors.get('embeddings')?.data as Float32Array;
    const unk = embeddings.slice(row * 64, row * 64 + 64);
    const [vector] = (await embedder.embed(['😀'], 'passage')) as Float32Array[];
    expect(row).toBe(108);
    expect(cosine(vector as Float32Array, unk) / Math.hypot(...unk)).toBeCloseTo(1, 6);
  });

  it('cuts text to 512 x median token length code points before tokenizing, as model2vec does', async () => {
    const embedder = await loadStaticEmbedder(M2V_FIXTURE_DIR, 'static:m2v');
    // Median token length is 7, so 3584 code points: exactly 256 "international " and no
    // "development", though 512 tokens would have reached it.
    const long = `${'international '.repeat(300)}${'development '.repeat(300)}`;
    const [clipped, single] = (await embedder.embed([long, 'international'], 'passage')) as Float32Array[];
    expect(cosine(clipped as Float32Array, single as Float32Array)).toBeCloseTo(1, 6);
    expect(clipCodePoints('a😀bc', 2)).toBe('a😀');
    expect(clipCodePoints('a😀bc', 4)).toBe('a😀bc');
    expect(clipCodePoints('abc', 5)).toBe('abc');
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
