import { addPostings, addToTail, grow, lowerBound, mergePostings, type Tail } from './bm25-postings.ts';
import { analyze } from './tokenize.ts';
import { createTopK } from './top-k.ts';

/**
 * An in-memory BM25F inverted index. Title and body term frequencies are combined with the title
 * weighted (one length normalization over both fields, as FTS5's bm25() and BM25F do); k1 and b are
 * free, unlike FTS5's. Built from SQLite's search fields; SQLite stays the source of truth.
 *
 * Postings of the last full build sit in three flat arrays (per-term offsets into one docs array
 * and one impacts array), so the index can be saved as-is and loaded as views over a file's bytes
 * (bm25-file.ts) with no per-posting work. It can catch up without a rebuild: appended chunks are
 * analyzed and added to per-term tails (postings stay sorted because rowids only grow), removed
 * chunks become tombstones skipped when results are collected. Document count, document
 * frequencies and the average length are those of the last full build plus the changes since, so
 * the owner rebuilds once `drift()` grows (see lexical.ts).
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
  /** The whole index as flat arrays (what bm25-file.ts writes); shares the build's arrays when nothing was appended. */
  snapshot(): Bm25Snapshot;
}

/**
 * Everything an index is, as plain arrays: term i's postings are docs/impacts[offsets[i], offsets[i+1]);
 * a posting's doc is a position in `rowids` (ascending). Impacts are tf·(k1+1)/(tf + k1·(1−b+b·len/avg)):
 * k1 and b are fixed at build, so scoring is one multiply.
 */
export interface Bm25Snapshot {
  params: Bm25Params;
  /** Average document length of the last full build (the impacts were computed with it). */
  avg: number;
  /** Documents in the last full build, and changes (appends plus removals) since: drift. */
  built: number;
  changes: number;
  maxRowid: number;
  terms: string[];
  offsets: Uint32Array;
  docs: Int32Array;
  impacts: Float32Array;
  rowids: Float64Array;
  /** 1 for a removed document (a tombstone). */
  dead: Uint8Array;
}

/** Upper bound on distinct query terms, so a 10,000-character query stays cheap. */
const MAX_QUERY_TERMS = 256;

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

function analyzeAll(source: Iterable<LexicalDoc>, params: Bm25Params): Analyzed[] {
  const docs: Analyzed[] = [];
  for (const doc of source) docs.push(analyzeDoc(doc, params));
  // Positions follow rowid order (catch-up and binary search rely on it); the store streams them sorted.
  for (let i = 1; i < docs.length; i++) {
    if ((docs[i] as Analyzed).rowid <= (docs[i - 1] as Analyzed).rowid) return docs.sort((x, y) => x.rowid - y.rowid);
  }
  return docs;
}

export function buildBm25Index(source: Iterable<LexicalDoc>, params: Bm25Params = DEFAULT_BM25): Bm25Index {
  const docs = analyzeAll(source, params);
  const ids = new Map<string, number>();
  const terms: string[] = [];
  let df: Uint32Array = new Uint32Array(1024);
  let total = 0;
  for (const doc of docs) {
    total += doc.length;
    for (const term of doc.counts.keys()) {
      let id = ids.get(term);
      if (id === undefined) {
        id = terms.push(term) - 1;
        ids.set(term, id);
        if (id === df.length) df = grow(df, id * 2);
      }
      df[id] = (df[id] as number) + 1;
    }
  }
  const avg = total / Math.max(1, docs.length) || 1;
  const offsets = new Uint32Array(terms.length + 1);
  for (let t = 0; t < terms.length; t++) offsets[t + 1] = (offsets[t] as number) + (df[t] as number);
  const postings = terms.length > 0 ? (offsets[terms.length] as number) : 0;
  const cursor = offsets.slice(0, terms.length);
  const docIds = new Int32Array(postings);
  const impacts = new Float32Array(postings);
  const rowids = new Float64Array(docs.length);
  docs.forEach((doc, d) => {
    rowids[d] = doc.rowid;
    for (const [term, tf] of doc.counts) {
      const at = (cursor[ids.get(term) as number] as number)++;
      docIds[at] = d;
      impacts[at] = impact(tf, doc.length, avg, params);
    }
  });
  const maxRowid = docs.length > 0 ? (rowids[docs.length - 1] as number) : 0;
  const dead = new Uint8Array(docs.length);
  return openBm25Index({
    params,
    avg,
    built: docs.length,
    changes: 0,
    maxRowid,
    terms,
    offsets,
    docs: docIds,
    impacts,
    rowids,
    dead,
  });
}

/** An index over a snapshot's arrays (a fresh build's, or views over a loaded file's bytes): they are not copied. */
export function openBm25Index(snapshot: Bm25Snapshot): Bm25Index {
  const { params, avg, built, offsets, docs, impacts } = snapshot;
  const ids = new Map<string, number>();
  const terms = snapshot.terms;
  for (let id = 0; id < terms.length; id++) ids.set(terms[id] as string, id);
  const baseTerms = terms.length;
  const tails = new Map<number, Tail>();
  let rowids = snapshot.rowids;
  let dead = snapshot.dead;
  let n = rowids.length;
  let live = n - dead.reduce((sum, x) => sum + x, 0);
  let changes = snapshot.changes;
  let maxRowid = snapshot.maxRowid;
  // Scratch for scoring, allocated on the first search: a loaded index that is never searched costs nothing more.
  const scratch = { scores: new Float32Array(0), touched: new Int32Array(0) };

  function positionOf(rowid: number): number {
    const d = lowerBound(rowids, n, rowid);
    return d < n && rowids[d] === rowid ? d : -1;
  }

  function addAnalyzed(added: Analyzed[]): void {
    if (n + added.length > rowids.length) {
      rowids = grow(rowids, Math.max(n + added.length, rowids.length * 2));
      dead = grow(dead, rowids.length);
    }
    for (const doc of added) {
      const d = n++;
      rowids[d] = doc.rowid;
      maxRowid = Math.max(maxRowid, doc.rowid);
      live++;
      for (const [term, tf] of doc.counts) {
        let id = ids.get(term);
        if (id === undefined) {
          id = terms.push(term) - 1;
          ids.set(term, id);
        }
        addToTail(tails, id, d, impact(tf, doc.length, avg, params));
      }
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
    const mask = new Uint8Array(n);
    for (const rowid of allowed) {
      const d = positionOf(rowid);
      if (d >= 0) mask[d] = 1;
    }
    return mask;
  }

  /** Adds every query term's postings (build, then tail) into the scores; returns how many documents were touched. */
  function accumulate(query: string, mask: Uint8Array | null): number {
    if (scratch.scores.length < n) {
      scratch.scores = new Float32Array(Math.max(16, n));
      scratch.touched = new Int32Array(Math.max(16, n));
    }
    let count = 0;
    for (const [term, qtf] of queryWeights(query)) {
      const id = ids.get(term);
      if (id === undefined) continue;
      const from = id < baseTerms ? (offsets[id] as number) : 0;
      const to = id < baseTerms ? (offsets[id + 1] as number) : 0;
      const tail = tails.get(id);
      const df = to - from + (tail?.length ?? 0);
      if (df === 0) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5)) * qtf;
      count = addPostings(scratch, { docs, impacts }, from, to, idf, count, mask);
      if (tail) count = addPostings(scratch, tail, 0, tail.length, idf, count, mask);
    }
    return count;
  }

  /**
   * Collects the k best live documents and clears the scores; a dense scan beats the touched list
   * when most were hit. Both loops are written out: a helper closure made per call cost every search
   * an allocation and, under tsx, a name definition, and kept V8 from inlining it reliably.
   */
  function collect(count: number, k: number): LexicalHit[] {
    const { scores, touched } = scratch;
    // Locals, not the factory's mutable bindings, so the loops need not re-read them.
    const size = n;
    const deleted = dead;
    const top = createTopK(k);
    // Once the heap is full only a score above its minimum can enter, or an equal one with a smaller
    // index. Tracking that here skips most pushes, ties included: documents of one length matching
    // the same terms as often score the same, and letting ties reach the heap cost 20 % of a search.
    // Untouched documents score 0 and never enter.
    let floor = 0;
    let floorIndex = Number.POSITIVE_INFINITY;
    let kept = 0;
    if (count * 4 > size) {
      for (let d = 0; d < size; d++) {
        const s = scores[d] as number;
        if ((s <= floor && (s < floor || s <= 0 || d > floorIndex)) || deleted[d] === 1) continue;
        top.push(d, s);
        if (++kept >= k) {
          floor = top.min();
          floorIndex = top.minIndex();
        }
      }
      scores.fill(0, 0, size);
    } else {
      for (let i = 0; i < count; i++) {
        const d = touched[i] as number;
        const s = scores[d] as number;
        scores[d] = 0;
        if ((s <= floor && (s < floor || s <= 0 || d > floorIndex)) || deleted[d] === 1) continue;
        top.push(d, s);
        if (++kept >= k) {
          floor = top.min();
          floorIndex = top.minIndex();
        }
      }
    }
    return top.sorted().map(({ index, score }) => ({ rowid: rowids[index] as number, score }));
  }

  function snapshotNow(): Bm25Snapshot {
    const state = { params, avg, built, changes, maxRowid, rowids: rowids.slice(0, n), dead: dead.slice(0, n) };
    if (tails.size === 0 && terms.length === baseTerms) return { ...state, terms: [...terms], offsets, docs, impacts };
    return { ...state, ...mergePostings(terms, { offsets, docs, impacts }, tails) };
  }

  return {
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
    append(added) {
      const analyzed: Analyzed[] = [];
      let last = maxRowid;
      for (const doc of added) {
        if (doc.rowid <= last) continue;
        analyzed.push(analyzeDoc(doc, params));
        last = doc.rowid;
      }
      changes += analyzed.length;
      addAnalyzed(analyzed);
    },
    remove(removed) {
      for (const rowid of removed) {
        const d = positionOf(rowid);
        if (d < 0 || dead[d] === 1) continue;
        dead[d] = 1;
        live--;
        changes++;
      }
    },
    rowids: () => {
      const out: number[] = [];
      for (let d = 0; d < n; d++) if (dead[d] === 0) out.push(rowids[d] as number);
      return out;
    },
    drift: () => changes / Math.max(1, built),
    snapshot: snapshotNow,
  };
}
