import { describe, expect, it } from 'vitest';
import { buildBm25Index } from '../../retrieval/index.ts';
import { createTopK } from '../../retrieval/top-k.ts';

const docs = [
  { rowid: 10, searchTitle: '', searchText: 'the cat sat on the mat' },
  { rowid: 11, searchTitle: '', searchText: 'dogs chase cats in the park' },
  { rowid: 12, searchTitle: 'Cats', searchText: 'a short note' },
  { rowid: 13, searchTitle: '', searchText: 'nothing relevant here at all' },
];

describe('buildBm25Index', () => {
  it('computes BM25F scores exactly (k1, b, title weight)', () => {
    const index = buildBm25Index(
      [
        { rowid: 1, searchTitle: '', searchText: 'apple banana' },
        { rowid: 2, searchTitle: '', searchText: 'cherry' },
      ],
      {
        k1: 1.2,
        b: 0.75,
        titleWeight: 2,
      },
    );
    const [hit] = index.search('apple', 5);
    // n=2, df=1 → idf = ln(1 + 1.5/1.5) = ln 2; len 2, avg 1.5 → norm = 1.2·(0.25 + 0.75·2/1.5) = 1.5; tf=1 → 2.2/2.5
    expect(hit?.rowid).toBe(1);
    expect(hit?.score).toBeCloseTo(Math.log(2) * (2.2 / 2.5), 5);
  });

  it('ranks matching documents and weights titles above body text', () => {
    const index = buildBm25Index(docs);
    const hits = index.search('cat', 10);
    expect(hits.map((h) => h.rowid)).toEqual([12, 10, 11]);
  });

  it('returns only allowed rowids, still k of them when k match', () => {
    const index = buildBm25Index(docs);
    expect(index.search('cat', 10, new Set([10, 11])).map((h) => h.rowid)).toEqual([10, 11]);
    expect(index.search('cat', 1, new Set([11, 13])).map((h) => h.rowid)).toEqual([11]);
    expect(index.search('cat', 10, new Set())).toEqual([]);
  });

  it('answers nothing for unknown words, punctuation and an empty index', () => {
    const index = buildBm25Index(docs);
    expect(index.search('zebra', 10)).toEqual([]);
    expect(index.search('"((*', 10)).toEqual([]);
    expect(buildBm25Index([]).search('cat', 10)).toEqual([]);
    expect(index.search('cat', 0)).toEqual([]);
  });

  it('bounds a 10,000-character query to 256 distinct terms', () => {
    const index = buildBm25Index(docs);
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    expect(words.length).toBeGreaterThan(10_000);
    expect(index.terms(`${words} cat`).length).toBe(256);
    expect(index.search(`cat ${words}`, 10).map((h) => h.rowid)).toEqual([12, 10, 11]);
  });

  it('gives the same results for repeated queries (scores are reset between queries)', () => {
    const index = buildBm25Index(docs);
    const first = index.search('cats park', 10);
    index.search('mat', 10);
    expect(index.search('cats park', 10)).toEqual(first);
  });
});

describe('catching up', () => {
  it('appends new rowids, removes old ones and reports the drift', () => {
    const index = buildBm25Index(docs);
    expect([index.size, index.maxRowid, index.drift()]).toEqual([4, 13, 0]);
    index.append([
      { rowid: 20, searchTitle: '', searchText: 'a zebra and a cat' },
      { rowid: 12, searchTitle: '', searchText: 'ignored: not above maxRowid' },
    ]);
    expect(index.search('zebra', 10).map((h) => h.rowid)).toEqual([20]);
    expect(index.search('cat', 10).map((h) => h.rowid)).toContain(20);
    index.remove([12, 99]);
    expect(index.search('cat', 10).map((h) => h.rowid)).not.toContain(12);
    expect(index.search('cats', 1, new Set([12]))).toEqual([]);
    expect([index.size, index.maxRowid, index.drift()]).toEqual([4, 20, 0.5]);
    expect(index.rowids()).toEqual([10, 11, 13, 20]);
  });

  it('grows its postings past their first capacity', () => {
    const index = buildBm25Index([]);
    index.append(Array.from({ length: 50 }, (_, i) => ({ rowid: i + 1, searchTitle: '', searchText: `common word${i}` })));
    expect(index.search('common', 100)).toHaveLength(50);
    expect(index.search('word49', 5).map((h) => h.rowid)).toEqual([50]);
  });
});

describe('createTopK', () => {
  it('keeps the k best, best first, ties by index', () => {
    const top = createTopK(3);
    [5, 1, 9, 3, 9, 7].forEach((s, i) => {
      top.push(i, s);
    });
    expect(top.sorted()).toEqual([
      { index: 2, score: 9 },
      { index: 4, score: 9 },
      { index: 5, score: 7 },
    ]);
    expect(top.min()).toBe(7);
  });
});

/** A small deterministic generator, so a failure names the same data every run. */
function createRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('createTopK against a full sort', () => {
  it('keeps exactly the k best of many tied scores, for k from 0 to past the count', () => {
    const random = createRandom(7);
    const scores = Array.from({ length: 500 }, () => Math.floor(random() * 20));
    const all = scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
    for (const k of [0, 1, 2, 7, 64, 499, 500, 600]) {
      const top = createTopK(k);
      scores.forEach((score, index) => {
        top.push(index, score);
      });
      expect(top.sorted()).toEqual(all.slice(0, k));
    }
  });
});

describe('collecting the best documents', () => {
  // "common" is in every document (scores from every posting: the dense scan); "rare" in one in
  // fifty (the touched list). Removed documents are tombstones both paths must skip.
  const random = createRandom(11);
  const corpus = Array.from({ length: 400 }, (_, i) => ({
    rowid: i + 1,
    searchTitle: '',
    searchText: `common ${'filler '.repeat(1 + Math.floor(random() * 9))}${i % 50 === 0 ? 'rare rare' : ''}`,
  }));

  it.each(['common', 'rare'])('gives the first k of the full ranking for "%s", without removed rows', (term) => {
    const index = buildBm25Index(corpus);
    index.remove([1, 51, 2, 3]);
    const full = index.search(term, 1000);
    expect(full.length).toBe(term === 'common' ? 396 : 6);
    expect(full.map((h) => h.rowid)).not.toContain(1);
    expect(full.map((h) => h.rowid)).not.toContain(51);
    for (let i = 1; i < full.length; i++)
      expect((full[i - 1] as { score: number }).score).toBeGreaterThanOrEqual((full[i] as { score: number }).score);
    for (const k of [1, 5, 30]) expect(index.search(term, k)).toEqual(full.slice(0, k));
  });
});
