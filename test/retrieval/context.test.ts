import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../core/index.ts';
import { joinChunks, planWindows } from '../../retrieval/index.ts';

function chunk(documentId: string, ordinal: number, start: number, text: string): Chunk {
  return {
    id: `${documentId}#${ordinal}`,
    rowid: ordinal + (documentId === 'a' ? 100 : 200),
    documentId,
    collectionId: 'c',
    ordinal,
    text,
    start,
    end: start + text.length,
    page: null,
    headings: [],
    tokenCount: 1,
    metadata: {},
  };
}

describe('planWindows', () => {
  it('widens hits by the window and merges overlapping hits of one document, led by the best rank', () => {
    const windows = planWindows(
      [
        { chunk: chunk('a', 5, 0, 'x'), rank: 0 },
        { chunk: chunk('b', 0, 0, 'y'), rank: 1 },
        { chunk: chunk('a', 6, 0, 'z'), rank: 2 },
        { chunk: chunk('a', 9, 0, 'w'), rank: 3 },
      ],
      1,
    );
    expect(windows.map((w) => [w.documentId, w.lead.chunk.ordinal, w.from, w.to, w.merged.map((m) => m.chunk.ordinal)])).toEqual([
      ['a', 5, 4, 7, [6]],
      ['b', 0, 0, 1, []],
      ['a', 9, 8, 10, []],
    ]);
  });

  it('merges duplicate hits with no window and folds windows a hit bridges', () => {
    const dup = planWindows(
      [
        { chunk: chunk('a', 2, 0, 'x'), rank: 0 },
        { chunk: chunk('a', 2, 0, 'x'), rank: 1 },
      ],
      0,
    );
    expect(dup).toHaveLength(1);
    const bridged = planWindows(
      [
        { chunk: chunk('a', 0, 0, 'x'), rank: 0 },
        { chunk: chunk('a', 4, 0, 'x'), rank: 1 },
        { chunk: chunk('a', 2, 0, 'x'), rank: 2 },
      ],
      1,
    );
    expect(bridged.map((w) => [w.from, w.to, w.merged.length])).toEqual([[0, 5, 2]]);
  });

  it('stops at max windows', () => {
    const hits = [0, 3, 6, 9].map((o, rank) => ({ chunk: chunk('a', o, 0, 'x'), rank }));
    expect(planWindows(hits, 0, 2).map((w) => w.lead.chunk.ordinal)).toEqual([0, 3]);
  });
});

describe('joinChunks', () => {
  it('writes overlapping text once and keeps document offsets', () => {
    const doc = 'Alpha beta gamma delta epsilon';
    const a = chunk('a', 0, 0, doc.slice(0, 16));
    const b = chunk('a', 1, 11, doc.slice(11));
    expect(joinChunks([b, a])).toEqual({ text: doc, start: 0, end: doc.length });
  });

  it('separates chunks with a gap by a paragraph break', () => {
    expect(joinChunks([chunk('a', 0, 0, 'one'), chunk('a', 1, 10, 'two')])).toEqual({ text: 'one\n\ntwo', start: 0, end: 13 });
    expect(joinChunks([])).toEqual({ text: '', start: 0, end: 0 });
  });
});
