import { analyze } from './tokenize.ts';
import { createTopK } from './top-k.ts';

/**
 * An in-memory BM25F inverted index. Title and body term frequencies are combined with the title
 * weighted (one length normalization over both fields, as FTS5's bm25() and BM25F do); k1 and b are
 * free, unlike FTS5's. Built from SQLite's search fields; SQLite stays the source of truth.
 */
export interface Bm25Params {
  k1: number;
  b: number;
  titleWeight: number;
}

/** Tuned on BEIR SciFact (see README, "Lexical search"). */
export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.9, titleWeight: 3 };

export interface LexicalDoc {
  rowid: number;
  searchTitle: string;
  searchText: string;
}

export interface LexicalHit {
  rowid: number;
  score: number;
}

export interface Bm25Index {
  readonly size: number;
  readonly params: Bm25Params;
  /** Query terms as analyzed (stopwords removed, stemmed), for callers that want to report them. */
  terms(query: string): string[];
  /** The k best chunks; when `allowed` is given only those rowids can be returned. */
  search(query: string, k: number, allowed?: ReadonlySet<number> | null): LexicalHit[];
}

/** Upper bound on distinct query terms, so a 10,000-character query stays cheap. */
const MAX_QUERY_TERMS = 256;

interface Postings {
  docs: Int32Array;
  /** tf·(k1+1)/(tf + k1·(1−b+b·len/avg)) per posting: k1 and b are fixed at build, so scoring is one multiply. */
  impacts: Float32Array;
}

export function buildBm25Index(source: Iterable<LexicalDoc>, params: Bm25Params = DEFAULT_BM25): Bm25Index {
  const rowids: number[] = [];
  const lengths: number[] = [];
  const building = new Map<string, { docs: number[]; tfs: number[] }>();
  for (const doc of source) {
    const d = rowids.length;
    rowids.push(doc.rowid);
    const counts = new Map<string, number>();
    const title = analyze(doc.searchTitle);
    const body = analyze(doc.searchText);
    for (const t of title) counts.set(t, (counts.get(t) ?? 0) + params.titleWeight);
    for (const t of body) counts.set(t, (counts.get(t) ?? 0) + 1);
    lengths.push(title.length * params.titleWeight + body.length);
    for (const [term, tf] of counts) {
      let p = building.get(term);
      if (!p) {
        p = { docs: [], tfs: [] };
        building.set(term, p);
      }
      p.docs.push(d);
      p.tfs.push(tf);
    }
  }
  const avg = lengths.reduce((a, x) => a + x, 0) / Math.max(1, rowids.length) || 1;
  const { k1, b } = params;
  const postings = new Map<string, Postings>();
  for (const [term, p] of building) {
    const impacts = Float32Array.from(p.tfs, (tf, i) => {
      const len = lengths[p.docs[i] as number] as number;
      return (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * len) / avg));
    });
    postings.set(term, { docs: Int32Array.from(p.docs), impacts });
  }
  return createSearcher(rowids, postings, params);
}

function createSearcher(rowids: number[], postings: Map<string, Postings>, params: Bm25Params): Bm25Index {
  const n = rowids.length;
  const scores = new Float32Array(n);
  const touched = new Int32Array(n);
  const positionOf = new Map<number, number>(rowids.map((r, i) => [r, i]));

  function queryWeights(query: string): Map<string, number> {
    const weights = new Map<string, number>();
    for (const term of analyze(query)) {
      if (!weights.has(term) && weights.size >= MAX_QUERY_TERMS) continue;
      weights.set(term, (weights.get(term) ?? 0) + 1);
    }
    return weights;
  }

  function allowedMask(allowed: ReadonlySet<number>): Uint8Array {
    const mask = new Uint8Array(n);
    for (const rowid of allowed) {
      const d = positionOf.get(rowid);
      if (d !== undefined) mask[d] = 1;
    }
    return mask;
  }

  /** Adds every query term's postings into `scores`; returns how many documents were touched. */
  function accumulate(query: string, mask: Uint8Array | null): number {
    let count = 0;
    for (const [term, qtf] of queryWeights(query)) {
      const p = postings.get(term);
      if (!p) continue;
      const df = p.docs.length;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5)) * qtf;
      count = mask === null ? addPostings(p, idf, count) : addMaskedPostings(p, idf, count, mask);
    }
    return count;
  }

  function addPostings(p: Postings, idf: number, count: number): number {
    const docs = p.docs;
    const impacts = p.impacts;
    const df = docs.length;
    let c = count;
    for (let i = 0; i < df; i++) {
      const d = docs[i] as number;
      const s = scores[d] as number;
      if (s === 0) touched[c++] = d;
      scores[d] = s + idf * (impacts[i] as number);
    }
    return c;
  }

  function addMaskedPostings(p: Postings, idf: number, count: number, mask: Uint8Array): number {
    const docs = p.docs;
    const impacts = p.impacts;
    const df = docs.length;
    let c = count;
    for (let i = 0; i < df; i++) {
      const d = docs[i] as number;
      if (mask[d] === 0) continue;
      const s = scores[d] as number;
      if (s === 0) touched[c++] = d;
      scores[d] = s + idf * (impacts[i] as number);
    }
    return c;
  }

  /** Collects the k best and clears `scores`; a dense scan beats the touched list when most documents were hit. */
  function collect(count: number, k: number): LexicalHit[] {
    const top = createTopK(k);
    // Only scores above the heap's minimum can enter once it is full; tracking it here skips most pushes.
    let floor = 0;
    let kept = 0;
    if (count * 4 > n) {
      for (let d = 0; d < n; d++) {
        const s = scores[d] as number;
        if (s <= floor) continue;
        top.push(d, s);
        if (++kept >= k) floor = top.min();
      }
      scores.fill(0);
    } else {
      for (let i = 0; i < count; i++) {
        const d = touched[i] as number;
        const s = scores[d] as number;
        scores[d] = 0;
        if (s <= floor) continue;
        top.push(d, s);
        if (++kept >= k) floor = top.min();
      }
    }
    return top.sorted().map(({ index, score }) => ({ rowid: rowids[index] as number, score }));
  }

  function search(query: string, k: number, allowed?: ReadonlySet<number> | null): LexicalHit[] {
    if (k <= 0 || n === 0) return [];
    const count = accumulate(query, allowed ? allowedMask(allowed) : null);
    return collect(count, k);
  }

  return { size: n, params, terms: (query) => [...queryWeights(query).keys()], search };
}
