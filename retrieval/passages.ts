import type { Chunk, Passage } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { joinChunks, planWindows, type Window, type WindowHit } from './context.ts';
import type { Candidate } from './types.ts';

/** Chunks by rowid through one prepared statement: cheaper than an IN list for the few a page needs. */
function loadChunks(store: Store, rowids: number[], into: Map<number, Chunk>): void {
  for (const rowid of rowids) {
    const chunk = store.chunks.getByRowid(rowid);
    if (chunk) into.set(rowid, chunk);
  }
}

/**
 * Turns ranked candidates into at most k passages: each grows to its context window, hits that
 * fall into an earlier window are merged into it, and the lead hit's offsets stay the citation.
 * Chunks are loaded lazily, k at a time, since merged hits free places for later candidates.
 */
export function buildPassages(store: Store, candidates: Candidate[], k: number, window: number): Passage[] {
  const chunks = new Map<number, Chunk>();
  let loaded = 0;
  let windows: Window[] = [];
  while (loaded < candidates.length) {
    const more = candidates.slice(loaded, loaded + (loaded === 0 && window > 0 ? 2 * k : k));
    loadChunks(
      store,
      more.map((c) => c.rowid),
      chunks,
    );
    loaded += more.length;
    const hits: WindowHit[] = [];
    candidates.slice(0, loaded).forEach((c, rank) => {
      const chunk = chunks.get(c.rowid);
      if (chunk) hits.push({ chunk, rank });
    });
    windows = planWindows(hits, window, k);
    if (windows.length >= k) break;
  }
  return toPassages(store, windows, candidates, window);
}

function toPassages(store: Store, windows: Window[], candidates: Candidate[], window: number): Passage[] {
  const headers = store.documents.headers([...new Set(windows.map((w) => w.documentId))]);
  return windows.map((w) => {
    const lead = w.lead.chunk;
    const header = headers.get(w.documentId);
    // A one-chunk document has no neighbours to fetch.
    const around = window > 0 && (header?.chunkCount ?? 2) > 1 ? store.chunks.neighbours(w.documentId, w.from, w.to) : [lead];
    const context = joinChunks(around.length > 0 ? around : [lead]);
    const scores = candidates[w.lead.rank]?.scores ?? {};
    return {
      chunkId: lead.id,
      rowid: lead.rowid,
      documentId: lead.documentId,
      source: header?.source ?? '',
      title: header?.title ?? '',
      page: lead.page,
      headings: lead.headings,
      start: lead.start,
      end: lead.end,
      text: context.text,
      contextStart: context.start,
      contextEnd: context.end,
      scores: { ...scores },
      metadata: lead.metadata,
    };
  });
}
