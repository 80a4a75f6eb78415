/** The indexer room's door: ingestion (loaders, splitters, pipeline, reindex) and the ANN indexes. */

export * from './ann/index.ts';
export { type ArchiveLimits, archiveLimits, type GuardedZip, guardZip, looksLikeZip } from './archive/index.ts';
export { type Channel, createChannel, createPause, type Pause } from './channel.ts';
export {
  detectLanguage,
  type LoadResult,
  loadInput,
  looksBinary,
  markdownOutline,
  markdownToDocument,
  sniffKind,
  textToDocument,
} from './loaders/index.ts';
export { createOcrRunner, type OcrMetadata, type OcrRunner, ocrStatus, sharedOcrRunner } from './ocr/index.ts';
export { ensureCollection, ingest, NO_EMBEDDER_NOTE } from './pipeline.ts';
export { type ReindexRequest, type ReindexSummary, reindex } from './reindex.ts';
export {
  checkUrl,
  extractLinks,
  fetchUrl,
  isPrivateAddress,
  parseRobots,
  robotsAllows,
  splitPart,
  uploadSource,
  walkFolder,
} from './sources/index.ts';
export { headingPath, pageAt, resolveSplitter, type SplitChunk, type SplitOptions, splitDocument } from './splitters/index.ts';
export type * from './types.ts';
