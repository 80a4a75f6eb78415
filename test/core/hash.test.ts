import { describe, expect, it } from 'vitest';
import { documentId, hashContent, normalizeText, toSearchText } from '../../core/index.ts';

describe('hashing', () => {
  it('hashes the same content the same whatever its line endings or Unicode form', () => {
    expect(hashContent('caf\u00e9\r\nline')).toBe(hashContent('cafe\u0301\nline'));
    expect(hashContent('a')).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
    expect(normalizeText('\uFEFFx\ry')).toBe('x\ny');
  });

  it('derives document ids from collection and source', () => {
    expect(documentId('a', 'x.txt')).toBe(documentId('a', 'x.txt'));
    expect(documentId('a', 'x.txt')).not.toBe(documentId('b', 'x.txt'));
    expect(documentId('a', 'x.txt')).toHaveLength(32);
  });
});

describe('search text', () => {
  it('spaces Chinese words and leaves Latin text alone', () => {
    expect(toSearchText('Hello world')).toBe('Hello world');
    expect(toSearchText('我爱北京').trim().split(' ')).toEqual(['我', '爱', '北京']);
  });
});
