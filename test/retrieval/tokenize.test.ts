import { describe, expect, it } from 'vitest';
import { toSearchText } from '../../core/index.ts';
import { analyze } from '../../retrieval/index.ts';

describe('analyze', () => {
  it('lowercases, drops Lucene stopwords and stems with Porter', () => {
    expect(analyze('The Running of the Bulls is in Pamplona')).toEqual(['run', 'bull', 'pamplona']);
  });

  it('splits on punctuation and removes Latin diacritics', () => {
    expect(analyze('Café-au-lait, naïve résumé!')).toEqual(['cafe', 'au', 'lait', 'naiv', 'resum']);
  });

  it('returns no terms for punctuation, FTS5 syntax characters and stopwords only', () => {
    expect(analyze('?!... "(( ** -- ))')).toEqual([]);
    expect(analyze('the and of')).toEqual([]);
  });

  it('keeps FTS5 operator words as ordinary words', () => {
    expect(analyze('cats AND dogs NEAR "mice* OR')).toEqual(['cat', 'dog', 'near', 'mice']);
  });

  it('segments Chinese and Japanese into words on both sides', () => {
    const chinese = analyze('我喜欢北京大学');
    expect(chinese.length).toBeGreaterThan(1);
    expect(chinese).toContain('北京');
    expect(analyze(toSearchText('我喜欢北京大学'))).toEqual(chinese);
    expect(analyze('東京に行きました')).toContain('東京');
  });

  it('drops words longer than 64 characters', () => {
    expect(analyze(`${'x'.repeat(65)} ok`)).toEqual(['ok']);
  });
});
