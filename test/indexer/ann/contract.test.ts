import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCairnError } from '../../../core/index.ts';
import {
  createFlatIndex,
  loadVectorIndex,
  loadVectorIndexAsync,
  type Metric,
  type VectorIndex,
} from '../../../indexer/ann/index.ts';
import { clusteredVectors, FACTORIES, recallAt, tempDir } from './helpers.ts';

const D = 24;
const N = 1500;
const data = clusteredVectors(N, D, 3);
const queries = clusteredVectors(20, D, 4);
const labels = data.map((_, i) => i * 3 + 1);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isCairnError(caught) ? caught.code : caught).toBe(code);
}

function truth(metric: Metric, q: Float32Array, k: number, allowed?: Set<number>): number[] {
  const flat = createFlatIndex({ dimensions: D, metric });
  const keep = labels.map((label, i) => [label, i] as const).filter(([label]) => !allowed || allowed.has(label));
  flat.add(
    keep.map(([label]) => label),
    keep.map(([, i]) => data[i]!),
  );
  return flat.search(q, k).map((h) => h.label);
}

function meanRecall(index: VectorIndex, metric: Metric, k: number): number {
  const total = queries.reduce(
    (sum, q) =>
      sum +
      recallAt(
        index.search(q, k).map((h) => h.label),
        truth(metric, q, k),
      ),
    0,
  );
  return total / queries.length;
}

describe.each(Object.entries(FACTORIES))('%s index contract', (kind, make) => {
  describe.each(['cosine', 'ip', 'l2'] as Metric[])('metric %s', (metric) => {
    const index = make(D, metric);
    index.add(labels, data);

    it('holds what was added and finds near neighbours', () => {
      expect(index.kind).toBe(kind);
      expect(index.size()).toBe(N);
      expect(index.has(labels[7]!)).toBe(true);
      expect(index.has(2)).toBe(false);
      expect(meanRecall(index, metric, 10)).toBeGreaterThanOrEqual(0.9);
    });

    it('returns the exact best first with the metric’s score', () => {
      const hit = index.search(data[42]!, 1)[0]!;
      // Under inner product a longer vector can beat the query's own.
      expect(hit.label).toBe(metric === 'ip' ? truth('ip', data[42]!, 1)[0] : labels[42]);
      if (metric === 'cosine') expect(hit.score).toBeCloseTo(1, 4);
      if (metric === 'l2') expect(hit.score).toBeCloseTo(0, 2);
    });
  });

  it('removes labels, re-adds them and updates vectors in place', () => {
    const index = make(D, 'cosine');
    index.add(labels, data);
    index.remove(labels.slice(0, 500));
    index.remove([999_999]);
    expect(index.size()).toBe(N - 500);
    for (const q of queries) for (const hit of index.search(q, 20)) expect(hit.label).toBeGreaterThan(labels[499]!);
    index.add([labels[3]!], [data[900]!]);
    expect(index.size()).toBe(N - 499);
    expect(
      index
        .search(data[900]!, 2)
        .map((h) => h.label)
        .sort(),
    ).toEqual([labels[3], labels[900]].sort());
    index.add([labels[900]!], [data[5]!]);
    expect(index.size()).toBe(N - 499);
    expect(index.search(data[5]!, 1)[0]!.label).toBe(labels[900]);
    expect(new Set(index.labels()).size).toBe(N - 499);
  });

  it('reuses slots after deletes and keeps answering exactly the live set', () => {
    const index = make(D, 'l2');
    index.add(labels.slice(0, 300), data.slice(0, 300));
    index.remove(labels.slice(0, 200));
    index.add(labels.slice(300, 600), data.slice(300, 600));
    expect(index.size()).toBe(400);
    expect(index.labels().sort((a, b) => a - b)).toEqual(labels.slice(200, 600));
  });

  it('filters by a set (1%) and by a predicate, returning k correct results', () => {
    const index = make(D, 'cosine');
    index.add(labels, data);
    const allowed = new Set(labels.filter((_, i) => i % 100 === 0));
    for (const q of queries.slice(0, 5)) {
      expect(index.search(q, 5, { filter: allowed }).map((h) => h.label)).toEqual(truth('cosine', q, 5, allowed));
      const byFn = index.search(q, 5, { filter: (label) => label % 2 === 0 });
      expect(byFn).toHaveLength(5);
      for (const hit of byFn) expect(hit.label % 2).toBe(0);
    }
    expect(index.search(queries[0]!, 5, { filter: new Set([-5, 77777]) })).toEqual([]);
  });

  it('saves and loads the same answers; rejects other widths and damaged files', async () => {
    const index = make(D, 'cosine');
    index.add(labels, data);
    index.remove([labels[0]!]);
    const file = path.join(tmp.dir, `${kind}.idx`);
    await index.save(file);
    const loaded = loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D });
    expect(loaded.size()).toBe(N - 1);
    expect(loaded.has(labels[0]!)).toBe(false);
    for (const q of queries.slice(0, 5)) expect(loaded.search(q, 5)).toEqual(index.search(q, 5));
    // The loader a search thread swaps new files in with (an hnsw graph read off the thread).
    const loadedAsync = await loadVectorIndexAsync(file, { kind: index.kind, metric: 'cosine', dimensions: D });
    expect(loadedAsync.size()).toBe(N - 1);
    for (const q of queries.slice(0, 5)) expect(loadedAsync.search(q, 5)).toEqual(index.search(q, 5));
    expectCode(() => loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D + 1 }), 'INDEX_MISMATCH');
    expectCode(() => loadVectorIndex(file, { kind: index.kind, metric: 'l2', dimensions: D }), 'INDEX_MISMATCH');
    // One flipped byte in the payload (the hnswlib graph for hnsw) is caught before use.
    const payload = kind === 'hnsw' ? `${file}.graph` : file;
    const bytes = readFileSync(payload);
    const original = Buffer.from(bytes);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0x40;
    writeFileSync(payload, bytes);
    expectCode(() => loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D }), 'INDEX_CORRUPT');
    // The same error, word for word, from the loader that swaps files in.
    const syncError = (() => {
      try {
        loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D });
      } catch (error) {
        return error as Error & { code: string };
      }
      throw new Error('the damaged file loaded');
    })();
    await expect(loadVectorIndexAsync(file, { kind: index.kind, metric: 'cosine', dimensions: D })).rejects.toMatchObject({
      code: 'INDEX_CORRUPT',
      message: syncError.message,
    });
    expect(syncError.message).toBe(
      kind === 'hnsw' ? `Index graph ${file}.graph fails its checksum` : `Index file ${file} is corrupt: checksum mismatch`,
    );
    writeFileSync(payload, original);
    expect(loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D }).size()).toBe(N - 1);
    writeFileSync(file, Buffer.from('CAIRN'));
    expectCode(() => loadVectorIndex(file, { kind: index.kind, metric: 'cosine', dimensions: D }), 'INDEX_CORRUPT');
    expectCode(
      () => loadVectorIndex(path.join(tmp.dir, 'missing'), { kind: index.kind, metric: 'cosine', dimensions: D }),
      'INDEX_CORRUPT',
    );
  });

  it('rejects bad vectors and queries without changing anything', () => {
    const index = make(D, 'cosine');
    index.add(labels.slice(0, 10), data.slice(0, 10));
    const nan = data[0]!.slice();
    nan[3] = Number.NaN;
    const inf = data[0]!.slice();
    inf[1] = Number.POSITIVE_INFINITY;
    expectCode(() => index.add([5000], [new Float32Array(D + 1)]), 'BAD_VECTOR');
    expectCode(() => index.add([5000, 5001], [data[1]!, nan]), 'BAD_VECTOR');
    expectCode(() => index.add([5000], [inf]), 'BAD_VECTOR');
    expectCode(() => index.add([5000], [new Float32Array(D)]), 'BAD_VECTOR');
    expectCode(() => index.add([-1], [data[1]!]), 'VALIDATION');
    expectCode(() => index.add([1, 2], [data[1]!]), 'VALIDATION');
    expect(index.size()).toBe(10);
    expect(index.has(5000)).toBe(false);
    expectCode(() => index.search(new Float32Array(D), 3), 'BAD_VECTOR');
    expectCode(() => index.search(new Float32Array(D - 1).fill(1), 3), 'BAD_VECTOR');
    expectCode(() => index.search(data[0]!, 2.5), 'VALIDATION');
    expect(index.search(data[0]!, 0)).toEqual([]);
    expect(index.search(data[0]!, -3)).toEqual([]);
    expect(index.search(data[0]!, 50)).toHaveLength(10);
    // A zero vector is a valid point under inner product and L2.
    const l2 = make(D, 'l2');
    l2.add([1], [new Float32Array(D)]);
    expect(l2.search(new Float32Array(D), 1)).toEqual([{ label: 1, score: 0 }]);
  });

  it('answers an empty index with no hits', () => {
    const index = make(D, 'cosine');
    expect(index.size()).toBe(0);
    expect(index.search(data[0]!, 5)).toEqual([]);
    index.add([1], [data[0]!]);
    index.remove([1]);
    expect(index.search(data[0]!, 5)).toEqual([]);
  });
});
