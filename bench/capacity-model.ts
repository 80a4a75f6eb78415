/**
 * The capacity model of docs/scale.md as functions: per-element sizes from the data structures'
 * layouts (hnswlib's hnswalg.h, pgvector's hnsw.h) and projections of measured per-chunk constants.
 * Kept apart from bench/capacity.ts (which measures) so the arithmetic is tested on its own.
 */

/** hnswlib's in-memory bytes per element (hnswalg.h), not counting allocator slack or the JS side. */
export function hnswlibBytesPerElement(dims: number, m: number, bytesPerComponent = 4): number {
  // Level 0 record: vector, 2M links + a 4-byte count, the 8-byte label.
  const level0 = dims * bytesPerComponent + 2 * m * 4 + 4 + 8;
  // Levels are floor(-ln(U)/ln(M)): P(level >= k) = M^-k, so E[level] = 1/(M-1); each level M links + count.
  const upper = ((m * 4 + 4) / (m - 1)) | 0;
  // linkLists_ pointer 8, element_levels_ int 4, link_list_locks_ std::mutex 40, label_lookup_ node ~32.
  const bookkeeping = 8 + 4 + 40 + 32;
  return level0 + upper + bookkeeping;
}

/** pgvector 0.8 HNSW bytes per row before page fill (hnsw.h): element tuple + level-0 neighbour tuple + 2 line pointers. */
export function pgvectorHnswTupleBytes(dims: number, m: number, bytesPerComponent = 4): number {
  const maxalign = (n: number) => Math.ceil(n / 8) * 8;
  // type, level, deleted, version (4) + 10 heap tids (60) + neighbour tid (6) + unused (2) + varlena vector (8 + data).
  const element = maxalign(72 + 8 + dims * bytesPerComponent);
  // type, version, count (4) + (level + 2)·m item pointers of 6 bytes; most elements are on level 0.
  const neighbours = maxalign(4 + 2 * m * 6);
  return element + neighbours + 2 * 4;
}

/** Rows per 8 kB page times the page: `tupleBytes` includes the 4-byte line pointer; `special` is the access method's trailer. */
export function bytesPerRowOnPages(tupleBytes: number, special: number, page = 8192): number {
  const perPage = Math.floor((page - 24 - special) / tupleBytes);
  return Math.round((page / perPage) * 10) / 10;
}

/** pgvector HNSW index bytes per row: whole element + neighbour pairs per page (8-byte HNSW page trailer). */
export function pgvectorHnswBytesPerRow(dims: number, m: number, bytesPerComponent = 4): number {
  return bytesPerRowOnPages(pgvectorHnswTupleBytes(dims, m, bytesPerComponent), 8);
}

export interface PerChunk {
  /** Bytes per chunk on disk (database files, index files). */
  diskBytes: number;
  /** Bytes per chunk that must stay in memory for searches at full speed (the ANN graph, the BM25 postings). */
  memoryBytes: number;
}

export interface Projection {
  chunks: number;
  diskGiB: number;
  memoryGiB: number;
}

const GIB = 1024 ** 3;

/** Totals at each size: linear in chunks, since every measured structure is per chunk. */
export function project(perChunk: PerChunk, sizes: number[]): Projection[] {
  const round = (bytes: number) => Math.round((bytes / GIB) * 10) / 10;
  return sizes.map((chunks) => ({
    chunks,
    diskGiB: round(perChunk.diskBytes * chunks),
    memoryGiB: round(perChunk.memoryBytes * chunks),
  }));
}

/** Chunks per second with `workers` embedders each doing `perWorker` chunks/s, capped by the store's write rate. */
export function ingestRate(perWorker: number, workers: number, storeWritesPerSecond: number): number {
  return Math.min(perWorker * workers, storeWritesPerSecond);
}
