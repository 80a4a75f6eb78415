import { describe, expect, it } from 'vitest';
import { FlatIndex } from '../../../indexer/ann/index.ts';
import { clusteredVectors } from './helpers.ts';

const D = 32;

/** The TypeScript scan's answer (a filter that allows everything skips the native scan). */
function exactLabels(index: FlatIndex, query: Float32Array, k: number): number[] {
  return index.search(query, k, { filter: () => true }).map((hit) => hit.label);
}

describe('flat index native scan', () => {
  it('follows adds, overwrites and removes without being rebuilt, and stays exact', () => {
    const vectors = clusteredVectors(3300, D, 5);
    const index = new FlatIndex({ dimensions: D });
    index.add(
      Array.from({ length: 3000 }, (_, i) => i),
      vectors.slice(0, 3000),
    );
    const queries = clusteredVectors(300, D, 9);
    // Fresh vectors for overwrites: a copy of a stored one would tie, and ties may order either way.
    const replacements = clusteredVectors(300, D, 11);
    expect(index.search(queries[0]!, 10).map((h) => h.label)).toEqual(exactLabels(index, queries[0]!, 10));
    const mismatches: number[] = [];
    for (let round = 0; round < 300; round++) {
      index.add([3000 + round], [vectors[3000 + round]!]);
      index.remove([round * 7]);
      // Overwrite: a label keeps its slot but takes another vector.
      index.add([round * 7 + 1], [replacements[round]!]);
      const query = queries[round]!;
      const native = index.search(query, 10).map((h) => h.label);
      if (native.join() !== exactLabels(index, query, 10).join()) mismatches.push(round);
      // A removed label is never proposed again.
      expect(native.includes(round * 7)).toBe(false);
    }
    expect(mismatches).toEqual([]);
    expect([index.size(), index.describe().params.nativeScanBuilds]).toEqual([3000, 1]);
  });

  it('rebuilds the scan once dead entries pass an eighth of it, and when it fills up', () => {
    const vectors = clusteredVectors(9000, D, 3);
    const index = new FlatIndex({ dimensions: D });
    index.add(
      Array.from({ length: 2000 }, (_, i) => i),
      vectors.slice(0, 2000),
    );
    index.search(vectors[0]!, 5);
    index.remove(Array.from({ length: 300 }, (_, i) => i));
    index.search(vectors[500]!, 5);
    expect(index.describe().params.nativeScanBuilds).toBe(2);
    // The second scan was sized for 4096 entries: 7000 more labels overflow it.
    index.add(
      Array.from({ length: 7000 }, (_, i) => 2000 + i),
      vectors.slice(2000),
    );
    const hits = index.search(vectors[8999]!, 5).map((h) => h.label);
    expect([hits[0], index.describe().params.nativeScanBuilds]).toEqual([8999, 3]);
  });
});
