import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCairnError } from '../../../core/index.ts';
import { createFlatIndex, createIvfIndex, defaultNlist, IvfIndex } from '../../../indexer/ann/index.ts';
import { trainKMeans } from '../../../indexer/ann/kmeans.ts';
import { clusteredVectors, recallAt, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('ivf', () => {
  it('sizes nlist at about 4·√N, never more than N/8', () => {
    expect(defaultNlist(100_000)).toBe(1265);
    expect(defaultNlist(1_000_000)).toBe(4000);
    expect(defaultNlist(40)).toBe(5);
    expect(defaultNlist(3)).toBe(1);
  });

  it('k-means re-seeds empty clusters so every centroid is a real point mean', () => {
    // Four identical points and one outlier, three clusters: plain Lloyd leaves one empty.
    const d = 2;
    const data = Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 10, 10]);
    const centroids = trainKMeans(data, 5, { k: 3, dimensions: d, spherical: false, iterations: 3, seed: 1 });
    for (const value of centroids) expect(Number.isFinite(value)).toBe(true);
    const rows = [0, 1, 2].map((c) => `${centroids[c * d]},${centroids[c * d + 1]}`);
    expect(rows).toContain('10,10');
    expect(rows).toContain('0,0');
  });

  it('retrains when grown 4x since the last training', () => {
    const data = clusteredVectors(1700, 16, 5);
    const index = createIvfIndex({ dimensions: 16, minTrainSize: 100, iterations: 3 });
    index.add(
      data.slice(0, 400).map((_, i) => i),
      data.slice(0, 400),
    );
    expect(index.describe().params.trainedSize).toBe(400);
    expect(index.describe().params.nlist).toBe(defaultNlist(400));
    index.add(
      data.slice(400, 1599).map((_, i) => i + 400),
      data.slice(400, 1599),
    );
    expect(index.describe().params.trainedSize).toBe(400);
    index.add([1599], [data[1599]!]);
    expect(index.describe().params.trainedSize).toBe(1600);
    expect(index.describe().params.nlist).toBe(defaultNlist(1600));
    expect(index.size()).toBe(1600);
  });

  it('SQ8 keeps ≤ 0.3x the memory of flat and recall ≥ 0.95 with floats from a vector source', async () => {
    const d = 384;
    // Held-out queries from the same mixture.
    const all = clusteredVectors(3015, d, 9, 40);
    const data = all.slice(0, 3000);
    const queries = all.slice(3000);
    const labels = data.map((_, i) => i);
    const source = (wanted: number[]) => wanted.map((label) => data[label] ?? null);
    const sq8 = createIvfIndex({
      dimensions: d,
      quantize: true,
      nlist: 32,
      minTrainSize: 100,
      iterations: 4,
      nprobe: 8,
      fetchVectors: source,
    });
    sq8.add(labels, data);
    const flat = createFlatIndex({ dimensions: d, capacity: 3000 });
    flat.add(labels, data);
    expect(sq8.describe().params.floatsInMemory).toBe(false);
    expect(sq8.describe().memoryBytes / flat.describe().memoryBytes).toBeLessThanOrEqual(0.3);
    const recall = queries.reduce(
      (sum, q) =>
        sum +
        recallAt(
          sq8.search(q, 10).map((h) => h.label),
          flat.search(q, 10).map((h) => h.label),
        ),
      0,
    );
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.95);
    const file = path.join(tmp.dir, 'sq8.ivf');
    await sq8.save(file);
    let code = '';
    try {
      IvfIndex.load(file, { dimensions: d });
    } catch (error) {
      code = isCairnError(error) ? error.code : 'other';
    }
    expect(code).toBe('INDEX_MISMATCH');
    const loaded = IvfIndex.load(file, { dimensions: d, fetchVectors: source });
    expect(loaded.search(queries[0]!, 10)).toEqual(sq8.search(queries[0]!, 10));
  });

  it('finds lists through a graph over the centroids when there are many', () => {
    const all = clusteredVectors(4020, 12, 21, 200);
    const data = all.slice(0, 4000);
    const flat = createFlatIndex({ dimensions: 12 });
    const ivf = createIvfIndex({ dimensions: 12, nlist: 300, minTrainSize: 100, iterations: 3, nprobe: 30 });
    const labels = data.map((_, i) => i);
    flat.add(labels, data);
    ivf.add(labels, data);
    expect(ivf.describe().params.nlist).toBe(300);
    const recall =
      all.slice(4000).reduce(
        (sum, q) =>
          sum +
          recallAt(
            ivf.search(q, 10).map((h) => h.label),
            flat.search(q, 10).map((h) => h.label),
          ),
        0,
      ) / 20;
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });
});
