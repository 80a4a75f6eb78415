import type { Citation, JobFailure, JobProgress, Passage } from '../core/index.ts';
import type { StoredDocument } from '../indexer/index.ts';

export type { StoredDocument };

/**
 * What the HTTP layer needs from the other rooms, as plain functions bound to the store, config
 * and models by `createRuntime`. Tests pass fakes; the shapes follow the cross-room contracts.
 */

export type IngestSourceInput =
  | string
  | { kind: 'bytes'; name: string; data: Uint8Array; mime?: string; metadata?: Record<string, unknown>; source?: string }
  | { kind: 'text'; text: string; title?: string; source?: string; metadata?: Record<string, unknown> }
  | { kind: 'stored'; document: StoredDocument }
  | { kind: 'part'; source: string };

export interface IngestCall {
  collection: string;
  sources: IngestSourceInput[];
  jobId?: string;
  prune?: boolean;
  /** Re-ingest: split and embed again even what is unchanged. */
  force?: boolean;
  /** Password for the encrypted PDFs of this call (per-file ones come from config.ingest.pdfPasswords). */
  password?: string;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

export interface IngestOutcome {
  added: number;
  updated: number;
  unchanged: number;
  failed: JobFailure[];
  chunks: number;
  seconds: number;
  documents: { source: string; id: string; status: string }[];
  notes: string[];
}

export interface SearchCall {
  collection: string;
  query: string;
  mode?: 'bm25' | 'dense' | 'hybrid';
  k?: number;
  rerank?: boolean;
  filter?: object;
  contextWindow?: number;
}

export interface SearchOutcome {
  passages: Passage[];
  /** Which stages ran (bm25, dense, fusion, rerank). */
  ran: object;
  /** The mode, k and rerank the search used (request, else collection, else config). */
  effective?: { mode: string; k: number; rerank: boolean };
  notes: string[];
  timings: Record<string, number>;
}

export interface AskCall {
  collection: string;
  /** Retrieve from these collections (fused by reciprocal rank) instead of `collection` alone; the chat stays in `collection`. */
  collections?: string[];
  question: string;
  chatId?: string;
  /** Do not store the turn in a chat (OpenAI clients keep the conversation themselves). */
  persist?: boolean;
  /** Earlier turns of a conversation the caller keeps itself. */
  history?: { role: 'user' | 'assistant'; content: string }[];
  reflect?: boolean;
  retrieve?: 'always' | 'never' | 'auto';
  filter?: object;
  k?: number;
  signal?: AbortSignal;
}

/** An answer-pipeline event: `retrieved`, `reflection`, `token`, `citation`, `done`, `error`. */
export interface AnswerEventLike {
  type: string;
  [field: string]: unknown;
}

/** The parts of an answer result the server reads; the rest is passed through untouched. */
export interface AnswerOutcome {
  answer?: string;
  text?: string;
  citations?: Citation[];
  decision?: string;
  chatId?: string | null;
}

export interface ComponentStatus {
  available: boolean;
  detail: string;
}

export interface EmbedOutcome {
  model: string;
  vectors: Float32Array[];
}

export interface Services {
  ingest(call: IngestCall): Promise<IngestOutcome>;
  search(call: SearchCall): Promise<SearchOutcome>;
  answer(call: AskCall, onEvent?: (event: AnswerEventLike) => void): Promise<AnswerOutcome>;
  /** Embeds with the collection's embedder (MODEL_MISSING when it has none available). */
  embed(collection: string, texts: string[]): Promise<EmbedOutcome>;
  /** Drops a deleted collection's ANN index files. */
  dropIndex(collectionId: string): Promise<void>;
  /** What runs and what does not: reported by /health so nothing degrades silently. */
  components(): Promise<Record<string, ComponentStatus>>;
}

/** The answer text, whichever field the answer pipeline uses for it. */
export function answerText(result: AnswerOutcome): string {
  if (typeof result.answer === 'string') return result.answer;
  if (typeof result.text === 'string') return result.text;
  return '';
}
