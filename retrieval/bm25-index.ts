import { analyze } from './tokenize.ts';
import { createTopK } from './top-k.ts';

/**
 * An in-memory BM25F inverted index. Title and body term frequencies are combined with the title
 * weighted (one length normalization over both fields, as FTS5's bm25() and BM25F do); k1 and b are
 * free, unlike FTS5's. Built from SQLite's search fields; SQLite stays the source of truth.
 *
 * It can catch up without a rebuild: appended chunks are analyzed and added (postings stay sorted
 * because rowids only grow), removed chunks become tombstones skipped when results are collected.
 * Document count, document frequencies and the average length are those of the last full build
 * plus the changes since, so the owner rebuilds once `drift()` grows (see lexical.ts).
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
  /** Live chunks in the index. */
  readonly size: number;
  readonly params: Bm25Params;
  /** Highest rowid ever added: rows above it are new. */
  readonly maxRowid: number;
  /** Query terms as analyzed (stopwords removed, stemmed), for callers that want to report them. */
  terms(query: string): string[];
  /** The k best chunks; when `allowed` is given only those rowids can be returned. */
  search(query: string, k: number, allowed?: ReadonlySet<number> | null): LexicalHit[];
  /** Adds chunks whose rowids are above maxRowid, in rowid order. */
  append(docs: Iterable<LexicalDoc>): void;
  /** Removes chunks by rowid (unknown rowids are ignored). */
  remove(rowids: Iterable<number>): void;
  /** Every live rowid. */
  rowids(): number[];
  /** Changes since the full build as a fraction of it: appended plus removed chunks over built chunks. */
  drift(): number;
}

/** Upper bound on distinct query terms, so a 10,000-character query stays cheap. */
const MAX_QUERY_TERMS = 256;

interface Postings {
  docs: Int32Array;
  /** tf·(k1+1)/(tf + k1·(1−b+b·len/avg)) per posting: k1 and b are fixed at build, so scoring is one multiply. */
  impacts: Float32Array;
  length: number;
}

interface Analyzed {
  rowid: number;
  length: number;
  counts: Map<string, number>;
}

function analyzeDoc(doc: LexicalDoc, params: Bm25Params): Analyzed {
  const counts = new Map<string, number>();
  const title = analyze(doc.searchTitle);
  const body = analyze(doc.searchText);
  for (const t of title) counts.set(t, (counts.get(t) ?? 0) + params.titleWeight);
  for (const t of body) counts.set(t, (counts.get(t) ?? 0) + 1);
  return { rowid: doc.rowid, length: title.length * params.titleWeight + body.length, counts };
}

function impact(tf: number, length: number, avg: number, { k1, b }: Bm25Params): number {
  return (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * length) / avg));
}

export function buildBm25Index(source: Iterable<LexicalDoc>, params: Bm25Params = DEFAULT_BM25): Bm25Index {
  const docs: Analyzed[] = [];
  const df = new Map<string, number>();
  let total = 0;
  for (const doc of source) {
    const analyzed = analyzeDoc(doc, params);
    docs.push(analyzed);
    total += analyzed.length;
    for (const term of analyzed.counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const avg = total / Math.max(1, docs.length) || 1;
  const postings = new Map<string, Postings>();
  for (const [term, n] of df) postings.set(term, { docs: new Int32Array(n), impacts: new Float32Array(n), length: 0 });
  const index = createIndex(postings, params, avg, docs.length);
  index.addAnalyzed(docs);
  return index.api;
}

function addPosting(postings: Map<string, Postings>, term: string, d: number, value: number): void {
  let p = postings.get(term);
  if (!p) {
    p = { docs: new Int32Array(4), impacts: new Float32Array(4), length: 0 };
    postings.set(term, p);
  }
  if (p.length === p.docs.length) {
    const docs = new Int32Array(p.docs.length * 2);
    docs.set(p.docs);
    const impacts = new Float32Array(p.docs.length * 2);
    impacts.set(p.impacts);
    p.docs = docs;
    p.impacts = impacts;
  }
  p.docs[p.length] = d;
  p.impacts[p.length] = value;
  p.length++;
}

function createIndex(postings: Map<string, Postings>, params: Bm25Params, avg: number, built: number) {
  const rowids: number[] = [];
  const positionOf = new Map<number, number>();
  let dead = new Uint8Array(Math.max(16, built));
  let scores = new Float32Array(Math.max(16, built));
  let touched = new Int32Array(Math.max(16, built));
  let live = 0;
  let changes = 0;
  let maxRowid = 0;

  function grow(n: number): void {
    if (n <= scores.length) return;
    const size = Math.max(n, scores.length * 2);
    const nextDead = new Uint8Array(size);
    nextDead.set(dead);
    dead = nextDead;
    scores = new Float32Array(size);
    touched = new Int32Array(size);
  }

  function addAnalyzed(docs: Analyzed[]): void {
    grow(rowids.length + docs.length);
    for (const doc of docs) {
      const d = rowids.length;
      rowids.push(doc.rowid);
      positionOf.set(doc.rowid, d);
      maxRowid = Math.max(maxRowid, doc.rowid);
      live++;
      for (const [term, tf] of doc.counts) addPosting(postings, term, d, impact(tf, doc.length, avg, params));
    }
  }

  function queryWeights(query: string): Map<string, number> {
    const weights = new Map<string, number>();
    for (const term of analyze(query)) {
      if (!weights.has(term) && weights.size >= MAX_QUERY_TERMS) continue;
      weights.set(term, (weights.get(term) ?? 0) + 1);
    }
    return weights;
  }

  function allowedMask(allowed: ReadonlySet<number>): Uint8Array {
    const mask = new Uint8Array(rowids.length);
    for (const rowid of allowed) {
      const d = positionOf.get(rowid);
      if (d !== undefined) mask[d] = 1;
    }
    return mask;
  }

  /** Adds every query term's postings into `scores`; returns how many documents were touched. */
  function accumulate(query: string, mask: Uint8Array | null): number {
    const n = rowids.length;
    let count = 0;
    for (const [term, qtf] of queryWeights(query)) {
      const p = postings.get(term);
      if (!p || p.length === 0) continue;
      const idf = Math.log(1 + (n - p.length + 0.5) / (p.length + 0.5)) * qtf;
      count = mask === null ? addPostings(p, idf, count) : addMaskedPostings(p, idf, count, mask);
    }
    return count;
  }

  function addPostings(p: Postings, idf: number, count: number): number {
    const { docs, impacts, length } = p;
    let c = count;
    for (let i = 0; i < length; i++) {
      const d = docs[i] as number;
      const s = scores[d] as number;
      if (s === 0) touched[c++] = d;
      scores[d] = s + idf * (impacts[i] as number);
    }
    return c;
  }

  function addMaskedPostings(p: Postings, idf: number, count: number, mask: Uint8Array): number {
    const { docs, impacts, length } = p;
    let c = count;
    for (let i = 0; i < length; i++) {
      const d = docs[i] as number;
      if (mask[d] === 0) continue;
      const s = scores[d] as number;
      if (s === 0) touched[c++] = d;
      scores[d] = s + idf * (impacts[i] as number);
    }
    return c;
  }

  /** Collects the k best live documents and clears `scores`; a dense scan beats the touched list when most were hit. */
  function collect(count: number, k: number): LexicalHit[] {
    const n = rowids.length;
    const top = createTopK(k);
    // Only scores above the heap's minimum can enter once it is full; tracking it here skips most pushes.
    let floor = 0;
    let kept = 0;
    const consider = (d: number, s: number) => {
      if (s <= floor || dead[d] === 1) return;
      top.push(d, s);
      if (++kept >= k) floor = top.min();
    };
    if (count * 4 > n) {
      for (let d = 0; d < n; d++) consider(d, scores[d] as number);
      scores.fill(0, 0, n);
    } else {
      for (let i = 0; i < count; i++) {
        const d = touched[i] as number;
        consider(d, scores[d] as number);
        scores[d] = 0;
      }
    }
    return top.sorted().map(({ index, score }) => ({ rowid: rowids[index] as number, score }));
  }

  const api: Bm25Index = {
    get size() {
      return live;
    },
    params,
    get maxRowid() {
      return maxRowid;
    },
    terms: (query) => [...queryWeights(query).keys()],
    search(query, k, allowed) {
      if (k <= 0 || live === 0) return [];
      return collect(accumulate(query, allowed ? allowedMask(allowed) : null), k);
    },
    append(docs) {
      const analyzed: Analyzed[] = [];
      for (const doc of docs) if (doc.rowid > maxRowid && !positionOf.has(doc.rowid)) analyzed.push(analyzeDoc(doc, params));
      changes += analyzed.length;
      addAnalyzed(analyzed);
    },
    remove(removed) {
      for (const rowid of removed) {
        const d = positionOf.get(rowid);
        if (d === undefined || dead[d] === 1) continue;
        dead[d] = 1;
        live--;
        changes++;
      }
    },
    rowids: () => rowids.filter((_, d) => dead[d] === 0),
    drift: () => changes / Math.max(1, built),
  };
  return { api, addAnalyzed };
}
