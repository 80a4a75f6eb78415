import type { Chunk, Passage } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import { joinChunks, planWindows, type Window, type WindowHit } from './context.ts';
import type { Candidate } from './types.ts';

/** A chunk with what a passage shows of its document. */
interface Row {
  chunk: Chunk;
  source: string;
  title: string;
  chunkCount: number;
}

/**
 * Recently shown rows, per database. Chunk rowids are never reused (AUTOINCREMENT) and a chunk row
 * is never edited (a changed document gets new chunks), so a rowid names the same row for as long
 * as it exists. Once any chunk is deleted (a document removed or replaced, by any connection) the
 * cache is emptied before its next use, so deleted text does not stay in memory.
 */
const rowCaches = new WeakMap<Db, { rows: Map<number, Row>; removals: number }>();
const MAX_CACHED_ROWS = 4096;

/** The database's row cache, emptied when chunks were deleted since it was last used. */
export function rowCache(store: Store): Map<number, Row> {
  const removals = store.chunks.removals();
  let cache = rowCaches.get(store.db);
  if (!cache || cache.removals !== removals) {
    cache = { rows: new Map(), removals };
    rowCaches.set(store.db, cache);
  }
  return cache.rows;
}

function loadRows(store: Store, rowids: number[], into: Map<number, Row>): void {
  const cache = rowCache(store);
  const missing: Chunk[] = [];
  for (const rowid of rowids) {
    const row = cache.get(rowid);
    if (row) into.set(rowid, row);
    else {
      const chunk = store.chunks.getByRowid(rowid);
      if (chunk) missing.push(chunk);
    }
  }
  if (missing.length === 0) return;
  const headers = store.documents.headers([...new Set(missing.map((c) => c.documentId))]);
  for (const chunk of missing) {
    const header = headers.get(chunk.documentId);
    const row = { chunk, source: header?.source ?? '', title: header?.title ?? '', chunkCount: header?.chunkCount ?? 2 };
    into.set(chunk.rowid, row);
    cache.set(chunk.rowid, row);
    if (cache.size > MAX_CACHED_ROWS) cache.delete(cache.keys().next().value as number);
  }
}

/**
 * Turns ranked candidates into at most k passages: each grows to its context window, hits that
 * fall into an earlier window are merged into it, and the lead hit's offsets stay the citation.
 * Rows are loaded lazily, k at a time, since merged hits free places for later candidates.
 */
export function buildPassages(store: Store, candidates: Candidate[], k: number, window: number): Passage[] {
  const rows = new Map<number, Row>();
  let loaded = 0;
  let windows: Window[] = [];
  while (loaded < candidates.length) {
    const more = candidates.slice(loaded, loaded + (loaded === 0 && window > 0 ? 2 * k : k));
    loadRows(
      store,
      more.map((c) => c.rowid),
      rows,
    );
    loaded += more.length;
    const hits: WindowHit[] = [];
    candidates.slice(0, loaded).forEach((c, rank) => {
      const row = rows.get(c.rowid);
      if (row) hits.push({ chunk: row.chunk, rank });
    });
    windows = planWindows(hits, window, k);
    if (windows.length >= k) break;
  }
  return windows.map((w) => toPassage(store, w, rows.get(w.lead.chunk.rowid) as Row, candidates, window));
}

function toPassage(store: Store, w: Window, row: Row, candidates: Candidate[], window: number): Passage {
  const lead = row.chunk;
  // A one-chunk document has no neighbours to fetch.
  const around = window > 0 && row.chunkCount > 1 ? store.chunks.neighbours(w.documentId, w.from, w.to) : [lead];
  const context = joinChunks(around.length > 0 ? around : [lead]);
  return {
    chunkId: lead.id,
    rowid: lead.rowid,
    documentId: lead.documentId,
    source: row.source,
    title: row.title,
    page: lead.page,
    headings: [...lead.headings],
    start: lead.start,
    end: lead.end,
    text: context.text,
    contextStart: context.start,
    contextEnd: context.end,
    scores: { ...candidates[w.lead.rank]?.scores },
    metadata: { ...lead.metadata },
  };
}
