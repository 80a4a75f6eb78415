import { describe, expect, it } from 'vitest';
import { createHashEmbedder, embedderPreset, parseModelRef, renderProgressLine } from '../../models/index.ts';
import { cosine } from './helpers.ts';

describe('model references', () => {
  it.each([
    ['Xenova/bge-small-en-v1.5', { kind: 'onnx-hub', repo: 'Xenova/bge-small-en-v1.5' }],
    ['hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M', { kind: 'gguf-hub', repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF', quant: 'Q4_K_M' }],
    ['static:minishlab/potion-base-8M', { kind: 'static-hub', repo: 'minishlab/potion-base-8M' }],
    ['openai:gpt-4o-mini', { kind: 'openai', model: 'gpt-4o-mini' }],
    ['/models/x.gguf', { kind: 'gguf-file', file: '/models/x.gguf' }],
    ['/models/minilm', { kind: 'onnx-local', dir: '/models/minilm' }],
    ['static:/models/m2v', { kind: 'static-local', dir: '/models/m2v' }],
  ])('parses %s', (ref, expected) => {
    expect(parseModelRef(ref, '/cwd')).toEqual(expected);
  });

  it('rejects nonsense', () => {
    expect(parseModelRef('not a ref', '/cwd')).toBeNull();
    expect(parseModelRef('openai:', '/cwd')).toBeNull();
  });

  it('knows the prefixes of e5 and bge', () => {
    expect(embedderPreset('Xenova/multilingual-e5-small')).toEqual({
      pooling: 'mean',
      queryPrefix: 'query: ',
      passagePrefix: 'passage: ',
    });
    expect(embedderPreset('Xenova/bge-small-en-v1.5')).toEqual({
      pooling: 'cls',
      queryPrefix: 'Represent this sentence for searching relevant passages: ',
      passagePrefix: '',
    });
    expect(embedderPreset('Xenova/all-MiniLM-L6-v2').pooling).toBe('mean');
  });
});

describe('hash embedder', () => {
  it('is deterministic and puts shared words closer', async () => {
    const e = createHashEmbedder(64);
    const [a, b, c] = await e.embed(['the cat sat', 'a cat sat down', 'stock market'], 'passage');
    expect(e.id).toBe('hash:64');
    expect(cosine(a as Float32Array, b as Float32Array)).toBeGreaterThan(cosine(a as Float32Array, c as Float32Array));
    expect(e.countTokens?.('猫が好き cats')).toBe(5);
  });
});

describe('progress line', () => {
  it('draws a bar with percent and sizes', () => {
    expect(renderProgressLine({ model: 'm', file: 'onnx/model.onnx', loaded: 512 * 1024, total: 1024 * 1024, done: false })).toBe(
      'onnx/model.onnx [##############--------------] 50% 512.0 KB / 1.0 MB',
    );
    expect(renderProgressLine({ model: 'm', file: 'f', loaded: 10, total: null, done: false })).toBe('f 10 B');
  });
});
