import type { Chunk } from '../core/index.ts';

/**
 * Context windows: each hit grows to its neighbouring chunks (±window by ordinal in the same
 * document); hits whose windows overlap are merged into one passage, led by the
 * best-ranked hit, whose own offsets stay the citation span.
 */
export interface WindowHit {
  chunk: Chunk;
  /** Position in the ranked list: lower is better. */
  rank: number;
}

export interface Window {
  /** The best-ranked hit in this window. */
  lead: WindowHit;
  /** Other hits merged into this window. */
  merged: WindowHit[];
  from: number;
  to: number;
  documentId: string;
}

/**
 * Groups ranked hits into windows of [ordinal − w, ordinal + w] per document, overlapping ones
 * merged; stops at `max` windows so hits ranked below the k-th passage never widen a window.
 */
export function planWindows(hits: WindowHit[], window: number, max = Number.POSITIVE_INFINITY): Window[] {
  const windows: Window[] = [];
  const byDocument = new Map<string, Window[]>();
  for (const hit of [...hits].sort((a, b) => a.rank - b.rank)) {
    const from = Math.max(0, hit.chunk.ordinal - window);
    const to = hit.chunk.ordinal + window;
    const list = byDocument.get(hit.chunk.documentId) ?? [];
    const overlapping = list.filter((w) => from <= w.to && to >= w.from);
    if (overlapping.length === 0) {
      if (windows.length >= max) break;
      const created: Window = { lead: hit, merged: [], from, to, documentId: hit.chunk.documentId };
      list.push(created);
      windows.push(created);
      byDocument.set(hit.chunk.documentId, list);
      continue;
    }
    const [target, ...rest] = overlapping as [Window, ...Window[]];
    target.merged.push(hit);
    target.from = Math.min(target.from, from);
    target.to = Math.max(target.to, to);
    // A hit can bridge two windows of the same document: fold the later ones into the first.
    for (const other of rest) {
      target.merged.push(other.lead, ...other.merged);
      target.from = Math.min(target.from, other.from);
      target.to = Math.max(target.to, other.to);
      list.splice(list.indexOf(other), 1);
      windows.splice(windows.indexOf(other), 1);
    }
  }
  return windows;
}

/**
 * Joins consecutive chunks into one text using their offsets: overlapping text is written once,
 * a gap between chunks (splitters drop the whitespace between them) becomes that many spaces when
 * short, else a paragraph break. Returns the text and its document offsets.
 */
export function joinChunks(chunks: Chunk[]): { text: string; start: number; end: number } {
  const sorted = [...chunks].sort((a, b) => a.start - b.start);
  const first = sorted[0];
  if (!first) return { text: '', start: 0, end: 0 };
  let text = first.text;
  let end = first.end;
  for (const chunk of sorted.slice(1)) {
    if (chunk.end <= end) continue;
    if (chunk.start <= end) text += chunk.text.slice(end - chunk.start);
    else text += (chunk.start - end <= 2 ? ' '.repeat(chunk.start - end) : '\n\n') + chunk.text;
    end = chunk.end;
  }
  return { text, start: first.start, end };
}
