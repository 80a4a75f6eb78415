import { describe, expect, it } from 'vitest';
import { encodeJson } from '../../server/json-bytes.ts';

const utf8 = (value: object) => new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));

describe('encodeJson', () => {
  it('gives the UTF-8 bytes of JSON.stringify for ASCII, CJK, Arabic, emoji and escapes', () => {
    const values = [
      { query: 'vitamin D', k: 10 },
      { text: '维生素D缺乏与心血管疾病', ar: 'فيتامين د', ko: '비타민' },
      { emoji: '🪨 cairn 🏔️', lone: '\ud800 alone', control: '\u0000\n\t"\\' },
      [],
    ];
    for (const value of values) expect(encodeJson(value)).toEqual(utf8(value));
  });

  it('hands back arrays of their own: a later call does not change an earlier answer', () => {
    const first = encodeJson({ n: 'first answer' });
    const kept = Uint8Array.from(first);
    encodeJson({ n: 'second answer, longer than the first one' });
    expect(first).toEqual(kept);
    expect(first.buffer.byteLength).toBe(first.byteLength);
  });

  it('encodes answers larger than its scratch room, and grows the room for mid-sized ones', () => {
    const mid = { text: 'é'.repeat(200_000) };
    const big = { text: 'x'.repeat(2_000_000) };
    expect(encodeJson(mid)).toEqual(utf8(mid));
    expect(encodeJson(big)).toEqual(utf8(big));
    expect(encodeJson({ after: 'small' })).toEqual(utf8({ after: 'small' }));
  });
});
