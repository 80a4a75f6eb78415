import { describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { mapCitations, mapCitationsRanked, rankedSpan, smallestBestRun, supportingSpan } from '../../generation/citations.ts';
import type { GradedPassage, SentenceVerdict } from '../../generation/index.ts';

const S1 = 'The Zephyr project was founded in 2019 by Ada Park.';
const S2 = 'Its mascot is a red fox named Pip.';
const S3 = 'Pip appears on every release page.';
/** The chunk starts after a first paragraph, so document offsets differ from chunk offsets. */
const DOC = `Intro line.\n\n${S1} ${S2} ${S3}`;
const CHUNK_START = 13;

function passage(contextStart = CHUNK_START, contextEnd = DOC.length): Passage {
  return {
    chunkId: 'c1',
    rowid: 1,
    documentId: 'd1',
    source: 'zephyr.md',
    title: 'Zephyr',
    page: null,
    headings: [],
    start: CHUNK_START,
    end: DOC.length,
    text: DOC.slice(contextStart, contextEnd),
    contextStart,
    contextEnd,
    scores: {},
    metadata: {},
  };
}

const doc = () => DOC;

describe('citation spans by word overlap (no reranker)', () => {
  it('quotes the one sentence that holds every word of the claim, at exact document offsets', () => {
    const span = supportingSpan('The mascot is a red fox named Pip [1].', passage(), doc);
    expect(span).toEqual({ text: S2, start: 65, end: 99, basis: 'overlap' });
    expect(DOC.slice(65, 99)).toBe(S2);
  });

  it('joins adjacent sentences when the claim needs both, and no more', () => {
    const span = supportingSpan('Zephyr was founded in 2019 and its mascot is a fox [1].', passage(), doc);
    expect(span).toEqual({ text: `${S1} ${S2}`, start: 13, end: 99, basis: 'overlap' });
  });

  it('says so when nothing in the chunk matches: the whole chunk, marked as such', () => {
    const span = supportingSpan('Everything is great [1].', passage(), doc);
    expect(span).toEqual({ text: `${S1} ${S2} ${S3}`, start: 13, end: 134, basis: 'chunk' });
  });

  it('keeps document offsets when the document is gone and the passage text is a wider context window', () => {
    const span = supportingSpan('Pip appears on every release page [1].', passage(0, DOC.length), () => null);
    expect(span).toEqual({ text: S3, start: 100, end: 134, basis: 'overlap' });
  });
});

/** A reranker fake: a score per candidate text, recording what it was asked. */
function fakeScorer(table: Record<string, number>) {
  const asked: { query: string; texts: string[] }[] = [];
  const scorer = async (query: string, texts: string[]) => {
    asked.push({ query, texts });
    return texts.map((t) => table[t] ?? 0.01);
  };
  return { scorer, asked };
}

describe('citation spans with the reranker', () => {
  const RUNS = [S1, `${S1} ${S2}`, `${S1} ${S2} ${S3}`, S2, `${S2} ${S3}`, S3];

  it('scores every run of up to three sentences against the claim without its markers', async () => {
    const { scorer, asked } = fakeScorer({ [S3]: 0.9 });
    const span = await rankedSpan('Pip is on the release pages [1].', passage(), doc, scorer);
    expect(asked).toEqual([{ query: 'Pip is on the release pages.', texts: RUNS }]);
    expect(span).toEqual({ text: S3, start: 100, end: 134, basis: 'reranker' });
  });

  it('prefers the shorter run when it scores within 0.05 of a longer one', async () => {
    const { scorer } = fakeScorer({ [S2]: 0.8, [`${S2} ${S3}`]: 0.84 });
    expect(await rankedSpan('Pip is a fox [1].', passage(), doc, scorer)).toEqual({
      text: S2,
      start: 65,
      end: 99,
      basis: 'reranker',
    });
  });

  it('takes the longer run when it is clearly better supported', async () => {
    const { scorer } = fakeScorer({ [S2]: 0.8, [`${S2} ${S3}`]: 0.95 });
    expect(await rankedSpan('The fox Pip is on every release page [1].', passage(), doc, scorer)).toEqual({
      text: `${S2} ${S3}`,
      start: 65,
      end: 134,
      basis: 'reranker',
    });
  });

  it('falls back to word overlap when the reranker answers with the wrong number of scores', async () => {
    const span = await rankedSpan('The mascot is a red fox named Pip [1].', passage(), doc, async () => [0.9]);
    expect(span).toEqual({ text: S2, start: 65, end: 99, basis: 'overlap' });
  });
});

describe('smallestBestRun', () => {
  it('picks the fewest sentences within the margin, then the higher score, then the earlier run', () => {
    const runs = [{ length: 1 }, { length: 2 }, { length: 1 }, { length: 3 }];
    expect(smallestBestRun(runs, [0.5, 0.9, 0.6, 0.7], 0)).toBe(1);
    expect(smallestBestRun(runs, [0.5, 0.9, 0.88, 0.7], 0.05)).toBe(2);
    expect(smallestBestRun(runs, [0.87, 0.9, 0.88, 0.7], 0.05)).toBe(2);
    expect(smallestBestRun(runs, [0.88, 0.9, 0.88, 0.7], 0.05)).toBe(0);
    expect(smallestBestRun([], [], 0)).toBeNull();
  });
});

describe('citations from graded sentences', () => {
  const graded: GradedPassage[] = [{ marker: 1, passage: passage(), relevant: true, rerank: null, score: 1, kept: true }];
  const sentence = (text: string, support: SentenceVerdict['support'], removed = false): SentenceVerdict => ({
    text,
    start: 0,
    end: text.length,
    markers: [1],
    support,
    removed,
  });
  const sentences = [
    sentence('The mascot is a red fox named Pip [1].', 'full'),
    sentence('Zephyr was founded in 1990 [1].', 'none'),
    sentence('Pip appears on release pages [1].', 'partial'),
  ];

  it('cites each kept sentence with its own smallest span and says how it was chosen', () => {
    expect(mapCitations(sentences, graded, doc).map((c) => [c.marker, c.start, c.end, c.quote, c.spanBasis])).toEqual([
      [1, 65, 99, S2, 'overlap'],
      [1, 100, 134, S3, 'overlap'],
    ]);
  });

  it('asks the reranker once per cited sentence and passage when one is loaded', async () => {
    const asked: string[] = [];
    const scorer = async (query: string, texts: string[]) => {
      asked.push(query);
      const table: Record<string, number> = query.startsWith('The mascot') ? { [S2]: 0.9 } : { [S3]: 0.6, [`${S2} ${S3}`]: 0.75 };
      return texts.map((t) => table[t] ?? 0.01);
    };
    const citations = await mapCitationsRanked(sentences, graded, doc, scorer);
    expect(citations.map((c) => [c.start, c.end, c.quote, c.spanBasis])).toEqual([
      [65, 99, S2, 'reranker'],
      [65, 134, `${S2} ${S3}`, 'reranker'],
    ]);
    expect(asked).toEqual(['The mascot is a red fox named Pip.', 'Pip appears on release pages.']);
  });
});
