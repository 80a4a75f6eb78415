import { describe, expect, it } from 'vitest';
import { chooseEssential, widenEssential } from '../../retrieval/postgres/bm25-plan.ts';

describe('pruned BM25 plan', () => {
  it('reads the rarest terms within the postings budget, and always the rarest one', () => {
    expect(chooseEssential([5, 1, 100, 3], 4)).toEqual([false, true, false, true]);
    expect(chooseEssential([10, 20], 5)).toEqual([true, false]);
    expect(chooseEssential([3, 3, 3], 6)).toEqual([true, true, false]);
  });

  it('runs the exact query when every term would be read in full', () => {
    expect(chooseEssential([5], 0)).toBeNull();
    expect(chooseEssential([5, 6], 11)).toBeNull();
  });

  /*
   * n = 1000, k1 = 1.2: the bounds idf · (k1 + 1) of df 1, 50 and 500 are 14.31, 6.57 and 1.52.
   * Terms stay non-essential, smallest bound first, while their sum is under theta.
   */
  it('makes essential every term whose bound could lift a chunk to theta', () => {
    const widen = (essential: boolean[], theta: number) => widenEssential(essential, [1, 50, 500], [1, 1, 1], 1000, 1.2, theta);
    expect(widen([true, false, false], 5)).toEqual([true, true, false]);
    expect(widen([false, false, true], 5)).toBeNull();
    expect(widen([true, false, false], 1)).toBeNull();
    expect(widen([true, false, false], 0)).toBeNull();
  });

  it('makes at least one more term essential each round, so rounds end', () => {
    // theta 10 leaves both common terms non-essential (1.52 + 6.57 < 10): the rarest of them joins anyway.
    expect(widenEssential([true, false, false], [1, 50, 500], [1, 1, 1], 1000, 1.2, 10)).toEqual([true, true, false]);
  });

  it('counts a repeated query term in its bound', () => {
    // qtf 4 makes df 500's bound 6.10: with theta 5 it cannot stay non-essential.
    expect(widenEssential([true, false, false], [1, 50, 500], [1, 1, 4], 1000, 1.2, 5)).toBeNull();
  });
});
