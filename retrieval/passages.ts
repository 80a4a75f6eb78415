import type { Chunk, Passage } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Db, Store } from '../store/index.ts';
import { joinChunks, planWindows, type Window, type WindowHit } from './context.ts';
import type { Retrievers } from './retrievers.ts';
import type { Candidate } from './types.ts';

/** A chunk with what a passage shows of its document. */
export interface PassageRow {
  chunk: Chunk;
  source: string;
  title: string;
  chunkCount: number;
}

type Row = PassageRow;

/** Where passages read their rows and context windows from (a backend's retrievers). */
export type PassageSource = Pick<Retrievers, 'rows' | 'neighbours'>;

type Header = { source: string; title: string; chunkCount: number };

function toRow(chunk: Chunk, header: Header | undefined): Row {
  return { chunk, source: header?.source ?? '', title: header?.title ?? '', chunkCount: header?.chunkCount ?? 2 };
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

/** Rows of these chunk rowids from the embedded store, through its row cache; missing ones are absent. */
export function loadRows(store: Store, rowids: number[]): Map<number, Row> {
  const into = new Map<number, Row>();
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
  if (missing.length === 0) return into;
  const headers = store.documents.headers([...new Set(missing.map((c) => c.documentId))]);
  for (const chunk of missing) {
    const row = toRow(chunk, headers.get(chunk.documentId));
    into.set(chunk.rowid, row);
    cache.set(chunk.rowid, row);
    if (cache.size > MAX_CACHED_ROWS) cache.delete(cache.keys().next().value as number);
  }
  return into;
}

/**
 * Passage rows read through the store contract, without a cache (the contract has no removal
 * counter to invalidate one): for backends whose search runs in the database.
 */
export function contractPassageSource(store: StoreContract): PassageSource {
  return {
    async rows(rowids) {
      const chunks = await store.chunks.getMany(rowids);
      const headers = await store.documents.headers([...new Set(chunks.map((c) => c.documentId))]);
      return new Map(chunks.map((chunk) => [chunk.rowid, toRow(chunk, headers.get(chunk.documentId))]));
    },
    neighbours: (documentId, from, to) => store.chunks.neighbours(documentId, from, to),
  };
}

/**
 * Turns ranked candidates into at most k passages: each grows to its context window, hits that
 * fall into an earlier window are merged into it, and the lead hit's offsets stay the citation.
 * Rows are loaded lazily, k at a time, since merged hits free places for later candidates.
 */
export async function buildPassages(
  source: PassageSource,
  candidates: Candidate[],
  k: number,
  window: number,
): Promise<Passage[]> {
  const rows = new Map<number, Row>();
  let loaded = 0;
  let windows: Window[] = [];
  while (loaded < candidates.length) {
    const more = candidates.slice(loaded, loaded + (loaded === 0 && window > 0 ? 2 * k : k));
    for (const [rowid, row] of await source.rows(more.map((c) => c.rowid))) rows.set(rowid, row);
    loaded += more.length;
    const hits: WindowHit[] = [];
    candidates.slice(0, loaded).forEach((c, rank) => {
      const row = rows.get(c.rowid);
      if (row) hits.push({ chunk: row.chunk, rank });
    });
    windows = planWindows(hits, window, k);
    if (windows.length >= k) break;
  }
  return Promise.all(windows.map((w) => toPassage(source, w, rows.get(w.lead.chunk.rowid) as Row, candidates, window)));
}

async function toPassage(source: PassageSource, w: Window, row: Row, candidates: Candidate[], window: number): Promise<Passage> {
  const lead = row.chunk;
  // A one-chunk document has no neighbours to fetch.
  const around = window > 0 && row.chunkCount > 1 ? await source.neighbours(w.documentId, w.from, w.to) : [lead];
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
