import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyEmbedder, writeTinyGguf, writeTinyReranker } from '../fixtures/make-models.ts';
import { makeTempDir } from './helpers.ts';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe('test model fixtures', () => {
  it('write tiny models in milliseconds, identically every time', () => {
    const started = performance.now();
    const a = writeTinyEmbedder(path.join(temp.dir, 'a'));
    const b = writeTinyEmbedder(path.join(temp.dir, 'b'));
    writeTinyReranker(path.join(temp.dir, 'r'));
    const g = writeTinyGguf(path.join(temp.dir, 'g.gguf'));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(readFileSync(path.join(a, 'onnx', 'model.onnx')).equals(readFileSync(path.join(b, 'onnx', 'model.onnx')))).toBe(true);
    const head = readFileSync(g).subarray(0, 8);
    expect(head.toString('ascii', 0, 4)).toBe('GGUF');
    expect(head.readUInt32LE(4)).toBe(3);
    const tokenizer = JSON.parse(readFileSync(path.join(a, 'tokenizer.json'), 'utf8')) as { model: { type: string } };
    expect(tokenizer.model.type).toBe('WordPiece');
  });
});
