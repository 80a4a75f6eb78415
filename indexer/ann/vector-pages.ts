import type { Store } from '../../store/index.ts';

/** Rows per page: big enough that a page's query costs little beside its rows, small enough to read fast. */
export const VECTOR_PAGE_ROWS = 8192;

/**
 * Reads a (collection, model)'s vectors a page at a time, in rowid order, each page in its own
 * short read, up to the highest rowid there was at the start (later rows are in the change log, and
 * a build must not chase a writer). The pages together are not one snapshot: rows written meanwhile
 * may or may not be seen. Callers record the change log's seq before the first page and apply the
 * log from there, which repairs exactly those rows (adds replace, removes of absent labels do
 * nothing). One snapshot held for a build of minutes would keep SQLite from checkpointing the WAL,
 * which then grows with every write made during the build.
 */
export function* vectorPages(
  store: Store,
  collectionId: string,
  modelId: string,
  rows = VECTOR_PAGE_ROWS,
): Generator<{ labels: number[]; vectors: Float32Array[] }> {
  const upTo = store.vectors.lastRowid(collectionId, modelId);
  let after = -1;
  for (;;) {
    const page = store.vectors.page(collectionId, modelId, after, upTo, rows);
    if (page.length === 0) return;
    yield { labels: page.map((row) => row.rowid), vectors: page.map((row) => row.vector) };
    after = (page.at(-1) as { rowid: number }).rowid;
  }
}
