/** The retrieval room's one door: lexical ∥ dense → fuse → rerank → context. */

export { readSharedBytes } from './bm25-file.ts';
export {
  type Bm25Index,
  type Bm25Params,
  type Bm25Snapshot,
  buildBm25Index,
  DEFAULT_BM25,
  type LexicalDoc,
  type LexicalHit,
  openBm25Index,
} from './bm25-index.ts';
export { joinChunks, planWindows } from './context.ts';
export { type BeirData, type BeirDoc, type BeirQuery, loadBeir, readQrels } from './eval/beir-data.ts';
export {
  averageScores,
  METRICS,
  type MetricName,
  mrrAt,
  ndcgAt,
  percentile,
  type Qrels,
  recallAt,
  scoreQuery,
} from './eval/metrics.ts';
export {
  BEIR_COLLECTION,
  type BeirEvalOptions,
  type BeirReport,
  type EvalDeps,
  evaluateBeir,
  ingestBeirCorpus,
} from './eval/run.ts';
export { resolveFilter, validateFilter } from './filter.ts';
export { convexCombination, type Fused, minMaxNormalize, type Ranked, reciprocalRankFusion } from './fusion.ts';
export { createLexicalIndexCache, type LexicalCacheOptions, type LexicalIndexCache } from './lexical.ts';
export { type CollectionPassage, fuseCollectionResults, type MultiSearchResult, searchCollections } from './multi.ts';
export { contractPassageSource, type PassageRow, type PassageSource } from './passages.ts';
export {
  createSqliteRetrievers,
  type DenseQuery,
  type DenseRetriever,
  type LexicalQuery,
  type LexicalResult,
  type RetrievalScope,
  type Retrievers,
  type SqliteRetrieversOptions,
  sqliteSearchDeps,
} from './retrievers.ts';
export { type SearchDeps, search } from './search.ts';
export { analyze, ENGLISH_STOPWORDS } from './tokenize.ts';
export type * from './types.ts';
