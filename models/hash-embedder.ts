import { createHash } from 'node:crypto';
import type { Embedder, EmbedRole } from './types.ts';

/**
 * A deterministic, dependency-free Embedder for tests: words (Unicode letters/digits, lowercased,
 * CJK characters one by one) hashed into `dimensions` buckets with a signed count, L2-normalized.
 * Texts sharing words get positive cosine similarity, so retrieval tests behave sensibly.
 */
export function createHashEmbedder(dimensions = 64, options: { maxTokens?: number } = {}): Embedder {
  if (!Number.isInteger(dimensions) || dimensions <= 0) throw new RangeError('dimensions must be a positive integer');
  const maxTokens = options.maxTokens ?? 512;
  return {
    id: `hash:${dimensions}`,
    dimensions,
    maxTokens,
    maxPassageTokens: maxTokens,
    embed: async (texts: string[], _role: EmbedRole) => texts.map((t) => hashVector(t, dimensions, maxTokens)),
    countTokens: (text: string) => tokenizeWords(text).length,
  };
}

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}]+/gu;

export function tokenizeWords(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

function hashVector(text: string, dimensions: number, maxTokens: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = tokenizeWords(text).slice(0, maxTokens);
  // Empty text still gets a unit vector so indexes never see a zero vector.
  for (const word of words.length > 0 ? words : ['\u0000empty']) {
    const digest = createHash('sha1').update(word).digest();
    const bucket = digest.readUInt32LE(0) % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  return normalize(vector);
}

/** L2-normalizes in place; a zero vector stays zero. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}
