import { describe, expect, it } from 'vitest';
import { convexCombination, minMaxNormalize, reciprocalRankFusion } from '../../retrieval/index.ts';

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over lists', () => {
    const fused = reciprocalRankFusion(
      [
        [
          { id: 1, score: 9 },
          { id: 2, score: 5 },
        ],
        [
          { id: 2, score: 0.9 },
          { id: 3, score: 0.8 },
        ],
      ],
      60,
    );
    expect(fused).toEqual([
      { id: 2, score: 1 / 62 + 1 / 61 },
      { id: 1, score: 1 / 61 },
      { id: 3, score: 1 / 62 },
    ]);
  });

  it('uses k = 60 by default and handles empty lists', () => {
    expect(reciprocalRankFusion([[{ id: 7, score: 1 }], []])).toEqual([{ id: 7, score: 1 / 61 }]);
    expect(reciprocalRankFusion([])).toEqual([]);
  });
});

describe('minMaxNormalize', () => {
  it('maps scores onto [0, 1]', () => {
    expect(
      minMaxNormalize([
        { id: 1, score: 10 },
        { id: 2, score: 6 },
        { id: 3, score: 2 },
      ]),
    ).toEqual([
      { id: 1, score: 1 },
      { id: 2, score: 0.5 },
      { id: 3, score: 0 },
    ]);
  });

  it('maps a constant list to 1 and an empty one to nothing', () => {
    expect(minMaxNormalize([{ id: 1, score: 3 }])).toEqual([{ id: 1, score: 1 }]);
    expect(minMaxNormalize([])).toEqual([]);
  });
});

describe('convexCombination', () => {
  it('mixes normalized scores with the weight on dense', () => {
    const lexical = [
      { id: 1, score: 12 },
      { id: 2, score: 4 },
    ];
    const dense = [
      { id: 2, score: 0.9 },
      { id: 3, score: 0.5 },
    ];
    expect(convexCombination(lexical, dense, 0.25)).toEqual([
      { id: 1, score: 0.75 },
      { id: 2, score: 0.25 },
      { id: 3, score: 0 },
    ]);
    expect(convexCombination(lexical, dense, 1).map((f) => f.id)).toEqual([2, 1, 3]);
  });
});
