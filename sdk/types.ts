/**
 * The wire types, imported type-only from the definitions the server itself validates and answers
 * with, so a change there breaks the SDK's build instead of drifting. No runtime import crosses
 * this line: the emitted JavaScript of sdk/ needs nothing outside sdk/.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../core/errors.ts';
import type { ApiKey, Chat, ChatMessage, Chunk, Collection, Document, Job, JobProgress } from '../core/types.ts';
import type { AnswerEvent, AnswerResult } from '../generation/types.ts';
import type { CollectionPassage, MultiSearchResult } from '../retrieval/multi.ts';
import type { SearchResult } from '../retrieval/types.ts';
import type {
  askSchema,
  createCollectionSchema,
  ingestTextSchema,
  listChatsQuery,
  listDocumentsQuery,
  reingestSchema,
  searchSchema,
  updateChatSchema,
  updateCollectionSchema,
} from '../server/schemas.ts';
import type { createKeySchema, feedbackSchema, multiAskSchema, multiSearchSchema } from '../server/webapi-schemas.ts';

export type {
  Citation,
  CollectionSettings,
  JobFailure,
  JobStatus,
  Passage,
} from '../core/types.ts';
export type {
  AnswerEvent,
  AnswerResult,
  ApiKey,
  Chat,
  ChatMessage,
  Chunk,
  Collection,
  CollectionPassage,
  Document,
  Job,
  JobProgress,
  MultiSearchResult,
  SearchResult,
};

/** What the server's schema accepts (zod's input side; a type only, so no zod at runtime). */
type Input<S extends z.ZodType> = z.input<S>;

export type CreateCollectionParams = Input<typeof createCollectionSchema>;
export type UpdateCollectionParams = Input<typeof updateCollectionSchema>;
export type ListDocumentsParams = Partial<Input<typeof listDocumentsQuery>>;
export type IngestTextParams = Input<typeof ingestTextSchema>;
export type SearchParams = Input<typeof searchSchema>;
export type AskParams = Omit<Input<typeof askSchema>, 'stream'>;
export type ListChatsParams = Input<typeof listChatsQuery>;
export type ReingestParams = Input<typeof reingestSchema>;
export type UpdateChatParams = Input<typeof updateChatSchema>;
export type ServerErrorCode = ErrorCode;

/** A collection as the API shows it: its settings, the models in effect, and counts. */
export interface CollectionView extends Collection {
  /** The display name (`settings.title` when set, else the name); rename with `collections.update(name, { title })`. */
  title: string;
  models: { embedder: string | null; reranker: string | null; generator: string | null };
  counts: { documents: number; chunks: number; vectors: unknown };
}

/** A listed document: everything but its text, with the text's length. */
export type DocumentSummary = Omit<Document, 'text'> & { characters: number };

export interface DocumentList {
  documents: DocumentSummary[];
  total: number;
  limit: number;
  offset: number;
}

export type DocumentWithChunks = Document & { chunks: Chunk[] };

/** What an ingest, replace or re-ingest answers: the job to follow. */
export interface JobAccepted {
  /** The job's id (the same as `jobId`). */
  id: string;
  jobId: string;
  status: Job['status'];
  job: Job;
}

export interface Deleted {
  deleted: true;
  id: string;
}

export interface JobProgressEvent {
  id: string;
  status: Job['status'];
  progress: JobProgress;
}

/** `progress` while the job runs, then one `done` with the finished job. */
export type JobEvent = { type: 'progress'; job: JobProgressEvent } | { type: 'done'; job: Job };

/** A rating given to an answer: `POST /v1/chats/{id}/turns/{n}/feedback`. */
export interface Feedback {
  rating: 'up' | 'down';
  comment: string | null;
  at: string;
}

/** A message as a chat shows it; an assistant turn carries its feedback, or null. */
export type ChatTurn = ChatMessage & { feedback: Feedback | null };

export type ChatWithMessages = Chat & { messages: ChatTurn[] };

export type FeedbackParams = Input<typeof feedbackSchema>;

/** `{ name, scopes: ['docs:read,write'] }`, or an embed key `{ name, embed: { collection, origins } }`. */
export type CreateKeyParams = Input<typeof createKeySchema>;

/** A new key: its record and the secret, shown this once (only its hash is stored). */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
}

/** A document's extracted text and each page's character range in it (empty for unpaged types). */
export interface DocumentText {
  id: string;
  text: string;
  pages: { page: number; start: number; end: number }[];
}

/** Search or ask over several collections: the same fields, `collections` instead of the path's one. */
export type MultiSearchParams = Input<typeof multiSearchSchema>;
export type MultiAskParams = Omit<Input<typeof multiAskSchema>, 'stream'>;

export interface ComponentStatus {
  available: boolean;
  detail: string;
}

export interface Health {
  status: string;
  version: string;
  dataDir?: string;
  schemaVersion: number;
  offline: boolean;
  auth: string;
  jobs: { queued: number };
  components: Record<string, ComponentStatus>;
  /** The models folder (admin keys on `*` only). */
  modelsDir?: string;
  /** The GPU(s) found and the device each model backend is expected to use. */
  device: DeviceReport;
  /** Each configured default model: present or not; `location` (admin only), `missing` files and `get` (how to fetch it) when absent. */
  models: ModelStatus[];
}

/** The GPUs found and the device each model backend is expected to use (server/device.ts). */
export interface DeviceReport {
  gpus: string[];
  nvidiaDriver: string | null;
  llama: { asked: 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu'; expected: 'cuda' | 'metal' | 'vulkan' | 'cpu' };
  transformers: { asked: 'cpu' | 'cuda'; expected: 'cuda' | 'cpu' };
  note: string;
}

/** One configured model as /health reports it (server/routes/health.ts `modelReport`). */
export interface ModelStatus {
  role: 'embedder' | 'reranker' | 'generator';
  ref: string;
  backend: string;
  present: boolean;
  /** Where its files are (admin keys on `*` only). */
  location?: string;
  /** Files not found, inside the model's folder (absent models only). */
  missing?: string[];
  /** How to fetch it (absent models only). */
  get?: string;
}

/**
 * An event of an answer stream. Events are parsed by their `type` alone, so a type this SDK does
 * not know yet (from a newer server) still comes through with its fields: keep a `default` branch.
 */
export type AskEvent = AnswerEvent;
