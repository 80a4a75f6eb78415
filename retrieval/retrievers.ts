import type { Chunk } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import { createSqliteContract } from '../store/sqlite-contract.ts';
import { resolveFilter } from './filter.ts';
import type { Ranked } from './fusion.ts';
import { createLexicalIndexCache, type LexicalIndexCache } from './lexical.ts';
import { loadRows, type PassageRow } from './passages.ts';
import type { SearchFilter, VectorIndexSource } from './types.ts';

/**
 * Where a search's candidates and passage rows come from: the seam between the retrieval pipeline
 * (plan → lexical ∥ dense → fuse → rerank → context) and a storage backend. The embedded backend
 * searches in-memory BM25 indexes and ANN index files derived from SQLite, inside a rowid set the
 * filter was resolved to up front; a database backend (PostgreSQL) pushes the filter into its own
 * queries instead, so each query carries both the filter and the resolved set (null there).
 */
export interface RetrievalScope {
  collectionId: string;
  /** The request's filter, for backends that apply it inside their queries. */
  filter?: SearchFilter;
  /** The chunk rowids the filter allows when the backend resolved it up front; null: no such set. */
  allowed: Set<number> | null;
}

export interface LexicalQuery extends RetrievalScope {
  query: string;
  k: number;
}

export interface LexicalResult {
  hits: Ranked[];
  /** The query has no searchable words (all stopwords or punctuation): why there are no hits. */
  noTerms: boolean;
}

export interface DenseQuery extends RetrievalScope {
  modelId: string;
  vector: Float32Array;
  k: number;
}

/** A collection's dense retriever for one model; hit scores are cosine similarities. */
export interface DenseRetriever {
  search(query: DenseQuery): Promise<Ranked[]>;
}

export interface Retrievers {
  /**
   * The chunk rowids a filter allows in a collection, for backends that search inside such a set
   * (an empty set ends the search: nothing matches); null when there is no filter, or when the
   * backend applies the filter inside its queries (such a backend still answers an empty set when
   * no document matches the filter, so both backends end that search the same way).
   */
  resolveFilter(collectionId: string, filter: SearchFilter | undefined): Promise<Set<number> | null>;
  lexical(query: LexicalQuery): Promise<LexicalResult>;
  /** The dense retriever for a model, or null when the collection has no vectors of it. */
  dense(collectionId: string, modelId: string): Promise<DenseRetriever | null>;
  /** Rows (chunk, document source, title and chunk count) of these chunk rowids; missing ones are absent. */
  rows(rowids: number[]): Promise<Map<number, PassageRow>>;
  /** A document's chunks with ordinals in [from, to], in order: a passage's context window. */
  neighbours(documentId: string, from: number, to: number): Promise<Chunk[]>;
}

export interface SqliteRetrieversOptions {
  store: Store;
  ann: VectorIndexSource;
  /** Without one, a cache shared by the process (indexes follow their store's changes). */
  lexical?: LexicalIndexCache;
}

const sharedLexical = createLexicalIndexCache();

/** The `store` and `retrievers` of search's deps over the embedded store (CLI, benchmarks, tests). */
export function sqliteSearchDeps(options: SqliteRetrieversOptions): { store: StoreContract; retrievers: Retrievers } {
  return { store: createSqliteContract(options.store), retrievers: createSqliteRetrievers(options) };
}

/** The embedded backend: in-memory BM25 and ANN indexes derived from SQLite, and a row cache. */
export function createSqliteRetrievers(options: SqliteRetrieversOptions): Retrievers {
  const { store, ann } = options;
  const lexical = options.lexical ?? sharedLexical;
  return {
    resolveFilter: async (collectionId, filter) => resolveFilter(store, collectionId, filter),
    async lexical(q) {
      const index = lexical.get(store, q.collectionId);
      const hits = index.search(q.query, q.k, q.allowed).map((h) => ({ id: h.rowid, score: h.score }));
      return { hits, noTerms: hits.length === 0 && index.terms(q.query).length === 0 };
    },
    async dense(collectionId, modelId) {
      const index = await ann.get(collectionId, modelId);
      if (!index || index.size() === 0) return null;
      return {
        search: async (q) =>
          index.search(q.vector, q.k, q.allowed ? { filter: q.allowed } : {}).map((h) => ({ id: h.label, score: h.score })),
      };
    },
    rows: async (rowids) => loadRows(store, rowids),
    neighbours: async (documentId, from, to) => store.chunks.neighbours(documentId, from, to),
  };
}
