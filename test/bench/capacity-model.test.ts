import { describe, expect, it } from 'vitest';
import {
  bytesPerRowOnPages,
  hnswlibBytesPerElement,
  ingestRate,
  pgvectorHnswBytesPerRow,
  pgvectorHnswTupleBytes,
  project,
} from '../../bench/capacity-model.ts';

describe('capacity model', () => {
  it('sizes an hnswlib element from its layout', () => {
    // 384·4 vector + 32 links·4 + count 4 + label 8 = 1676; upper levels 68/15 → 4; bookkeeping 84.
    expect(hnswlibBytesPerElement(384, 16)).toBe(1764);
    expect(hnswlibBytesPerElement(64, 16)).toBe(484);
  });

  it('sizes pgvector HNSW tuples and whole tuples per page', () => {
    expect(pgvectorHnswTupleBytes(384, 16)).toBe(1824);
    expect(pgvectorHnswTupleBytes(384, 16, 2)).toBe(1056);
    // 4 vector(384) elements fit an 8 kB page, 7 halfvec(384) ones.
    expect(pgvectorHnswBytesPerRow(384, 16)).toBe(2048);
    expect(pgvectorHnswBytesPerRow(384, 16, 2)).toBe(1170.3);
    expect(bytesPerRowOnPages(1628, 0)).toBe(1638.4);
  });

  it('projects per-chunk constants linearly', () => {
    expect(project({ diskBytes: 2 ** 30, memoryBytes: 2 ** 29 }, [1, 10])).toEqual([
      { chunks: 1, diskGiB: 1, memoryGiB: 0.5 },
      { chunks: 10, diskGiB: 10, memoryGiB: 5 },
    ]);
  });

  it('caps the ingest rate at the store', () => {
    expect(ingestRate(100, 2, 300)).toBe(200);
    expect(ingestRate(100, 4, 300)).toBe(300);
  });
});
