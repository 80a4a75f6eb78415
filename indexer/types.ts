import type { Config, JobFailure, JobProgress, Logger, PageSpan } from '../core/index.ts';
import type { Embedder } from '../models/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import type { OcrRunner } from './ocr/index.ts';

/** What a caller hands to ingest: a path or URL, raw bytes (uploads), or a string. */
export type IngestSource =
  | string
  | {
      kind: 'bytes';
      name: string;
      data: Uint8Array;
      mime?: string;
      metadata?: Record<string, unknown>;
      /** The document source to write (replacing the document stored there); default: a new upload's own source. */
      source?: string;
    }
  | { kind: 'text'; text: string; title?: string; source?: string; metadata?: Record<string, unknown> }
  | { kind: 'stored'; document: StoredDocument }
  /** One document of a multi-document file or URL (`data.jsonl#L3`): the file is read again for that part only. */
  | { kind: 'part'; source: string };

/**
 * A document already in the store, split and embedded again from its stored text (re-ingest of an
 * upload, whose bytes are not kept): pages, language and metadata come back as they were.
 */
export interface StoredDocument {
  source: string;
  text: string;
  title: string;
  mime: string;
  language: string | null;
  pages: PageSpan[];
  metadata: Record<string, unknown>;
  contentHash: string;
}

export interface IngestDeps {
  store: StoreContract;
  /** The embedded SQLite store (absent on PostgreSQL): data tables are written with their document through it. */
  embedded?: Store;
  config: Config;
  logger: Logger;
  embedder: Embedder | null;
}

export interface IngestRequest {
  collection: string;
  sources: IngestSource[];
  jobId?: string;
  prune?: boolean;
  /** Split and embed again even what is unchanged (re-ingest after chunking or model changes). */
  force?: boolean;
  /** Password for encrypted PDFs in this request (per-file passwords come from config.ingest.pdfPasswords). */
  password?: string;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
}

export type IngestOutcome = 'added' | 'updated' | 'unchanged';

export interface IngestSummary {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: JobFailure[];
  chunks: number;
  seconds: number;
  documents: { source: string; id: string; status: IngestOutcome }[];
  notes: string[];
}

/** A heading in a loaded document's text: where it starts, its depth (1 = top) and its words. */
export interface OutlineEntry {
  offset: number;
  level: number;
  title: string;
}

/** What a loader makes of bytes: the text every chunk offset points into, plus its structure. */
export interface LoadedDocument {
  text: string;
  mime: string;
  title: string;
  language: string | null;
  pages: PageSpan[];
  outline: OutlineEntry[];
  metadata: Record<string, unknown>;
  /** Appended to the source for loaders that make several documents of one file (JSONL lines). */
  part?: string;
  /** Overrides the bytes hash for documents that are one part of a file. */
  contentHash?: string;
  /** Splitter family suited to this document ('markdown' for markdown, 'recursive' otherwise). */
  kind: 'markdown' | 'html' | 'text' | 'code' | 'pdf';
}

/** Raw input for a loader, however it arrived. */
export interface RawInput {
  /** The document source recorded in the store: absolute path, URL or given name. */
  source: string;
  name: string;
  data: Uint8Array;
  /** Content type from HTTP headers or the caller, if any (with charset). */
  mime?: string;
  metadata: Record<string, unknown>;
}

export interface LoadOptions {
  config: Config;
  password?: string;
  /** Cancels OCR between pages. */
  signal?: AbortSignal;
  /** OCR progress of the document being read: pages done and pages to do. */
  onOcrPage?: (done: number, total: number) => void;
  /** The OCR runner to use (default: the process's shared one; tests pass their own). */
  ocr?: OcrRunner;
}
