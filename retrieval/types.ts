import type { Passage } from '../core/index.ts';
import type { VectorIndex } from '../indexer/ann/index.ts';

export type SearchMode = 'bm25' | 'dense' | 'hybrid';
export type FusionMethod = 'rrf' | 'convex';

/** A range over numbers or ISO dates; bounds are inclusive. */
export interface RangeCondition {
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
}

/** Equality with one value, one of several values (`in`), or a range. */
export type MetadataCondition = string | number | boolean | { in: (string | number | boolean)[] } | RangeCondition;

/** Conditions on the document a chunk belongs to; all given conditions must hold. */
export interface SearchFilter {
  documentIds?: string[];
  /** Glob over the document's source (picomatch syntax; `**` crosses folders). */
  source?: string;
  mime?: string | string[];
  language?: string | string[];
  /** The document has at least one of these tags. */
  tags?: string[];
  /** Keys of the document's metadata (dotted paths reach into objects). */
  metadata?: Record<string, MetadataCondition>;
  created?: { from?: string; to?: string };
  updated?: { from?: string; to?: string };
}

export interface SearchRequest {
  collection: string;
  query: string;
  mode?: SearchMode;
  k?: number;
  rerank?: boolean;
  filter?: SearchFilter;
  contextWindow?: number;
  fusion?: FusionMethod;
}

export interface SearchRan {
  bm25: boolean;
  dense: boolean;
  /** The fusion method when both retrievers ran, else null. */
  fusion: FusionMethod | null;
  rerank: boolean;
}

export interface SearchResult {
  passages: Passage[];
  ran: SearchRan;
  /** The mode, k and rerank this search used: the request's, else the collection's, else config's. */
  effective?: { mode: SearchMode; k: number; rerank: boolean };
  notes: string[];
  /**
   * Milliseconds per stage: filter, retrieve (wall time of lexical ∥ dense, whose own lexical, embed
   * and dense times overlap), fusion, rerank, context, total. Stages that did not run are absent.
   */
  timings: Record<string, number>;
}

/** What search needs from the ANN manager (indexer/ann's AnnManager satisfies it). */
export interface VectorIndexSource {
  get(collectionId: string, modelId: string): Promise<VectorIndex | null>;
}

/** A scored candidate chunk, before context expansion. */
export interface Candidate {
  rowid: number;
  scores: { bm25?: number; dense?: number; fused?: number; rerank?: number };
}
