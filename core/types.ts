/** Plain data shared by every room. No behaviour lives here. */

export type IndexKind = 'auto' | 'flat' | 'hnsw' | 'ivf';
export type SplitterKind = 'recursive' | 'sentence' | 'token' | 'markdown';
export type SizeUnit = 'tokens' | 'chars';

export interface ChunkingSettings {
  splitter: SplitterKind | 'auto';
  size: number;
  overlap: number;
  unit: SizeUnit;
}

export interface CollectionSettings {
  /** Model reference (Hugging Face id, `static:` / `openai:` prefixed, or a local path); null = BM25 only. */
  embedder: string | null;
  reranker: string | null;
  generator: string | null;
  index: IndexKind;
  chunking: ChunkingSettings;
  /** Free-form settings owned by later rooms (retrieval defaults, answer thresholds). */
  extra: Record<string, unknown>;
  /** Display name; the name stays the id, since document ids derive from it. Absent or "": the name. */
  title?: string;
  /** Search defaults for this collection: a request's own option wins, config fills what is unset. */
  retrieval?: CollectionRetrievalSettings;
  /** Answer defaults for this collection (single-collection asks only), with the same precedence. */
  answer?: CollectionAnswerSettings;
}

export interface CollectionRetrievalSettings {
  mode?: 'bm25' | 'dense' | 'hybrid';
  k?: number;
  rerank?: boolean;
}

export interface CollectionAnswerSettings {
  reflect?: boolean;
  retrieve?: 'always' | 'never' | 'auto';
}

export interface Collection {
  id: string;
  name: string;
  description: string;
  settings: CollectionSettings;
  createdAt: string;
  updatedAt: string;
}

/** A page's character range in its document's text: text.slice(start, end) is that page. */
export interface PageSpan {
  page: number;
  start: number;
  end: number;
}

export type DocumentStatus = 'ready' | 'pending_vectors' | 'failed';

export interface Document {
  id: string;
  collectionId: string;
  source: string;
  mime: string;
  title: string;
  language: string | null;
  contentHash: string;
  text: string;
  pages: PageSpan[];
  metadata: Record<string, unknown>;
  tags: string[];
  status: DocumentStatus;
  bytes: number;
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Chunk {
  id: string;
  /** Integer row id: the label used by ANN indexes and FTS5. */
  rowid: number;
  documentId: string;
  collectionId: string;
  ordinal: number;
  text: string;
  /** Offsets into the document's text: document.text.slice(start, end) === text. */
  start: number;
  end: number;
  page: number | null;
  headings: string[];
  tokenCount: number;
  metadata: Record<string, unknown>;
}

export interface StageScores {
  bm25?: number;
  dense?: number;
  fused?: number;
  rerank?: number;
}

/** A retrieved piece of a document, ready to cite. */
export interface Passage {
  chunkId: string;
  rowid: number;
  documentId: string;
  source: string;
  title: string;
  page: number | null;
  headings: string[];
  /** The chunk's own offsets (for citations) … */
  start: number;
  end: number;
  /** … and the text shown, possibly a wider context window around the chunk. */
  text: string;
  contextStart: number;
  contextEnd: number;
  scores: StageScores;
  metadata: Record<string, unknown>;
}

export interface Citation {
  /** The marker number used in the answer text: [1] → 1. */
  marker: number;
  chunkId: string;
  documentId: string;
  source: string;
  title: string;
  page: number | null;
  /** Exact supporting span in the document's text. */
  start: number;
  end: number;
  quote: string;
  /**
   * How the span was chosen: the smallest run of the chunk's sentences that supports the claim,
   * by the reranker or by word overlap; 'chunk' when nothing matched and the whole chunk is cited.
   */
  spanBasis?: 'reranker' | 'overlap' | 'chunk';
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobFailure {
  source: string;
  code: string;
  message: string;
}

export interface JobProgress {
  documentsDone: number;
  documentsTotal: number;
  chunksDone: number;
  chunksTotal: number;
  /** OCR of the document being read: pages done and pages to OCR (absent until a document needs OCR). */
  ocrPagesDone?: number;
  ocrPagesTotal?: number;
}

export interface Job {
  id: string;
  kind: string;
  collectionId: string | null;
  status: JobStatus;
  progress: JobProgress;
  /** Times a worker has started it; what was posted (the payload) is never part of a Job. */
  attempts: number;
  result: Record<string, unknown> | null;
  failures: JobFailure[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export type Scope = 'read' | 'write' | 'admin';

export interface ApiKey {
  id: string;
  name: string;
  /** `*` for every collection, else a collection id, each with its scopes. */
  scopes: Record<string, Scope[]>;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Present on embed keys: public keys for web pages, bound to one collection and to page origins. */
  embed?: EmbedBinding;
}

export interface EmbedBinding {
  collection: string;
  /** Page origins (`https://site.example`) the key may be used from, as browsers write them. */
  origins: string[];
  /** Requests a minute for the key as a whole; null takes server.embedRatePerMinute. */
  ratePerMinute: number | null;
}

export interface Chat {
  id: string;
  collectionId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export interface ChatMessage {
  id: string;
  chatId: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  /** The full answer result for assistant messages. */
  result: Record<string, unknown> | null;
  createdAt: string;
}
