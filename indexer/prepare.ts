import {
  CairnError,
  type ChunkingSettings,
  type Config,
  chunkId,
  documentId,
  hashContent,
  isCairnError,
  sha256,
} from '../core/index.ts';
import type { NewChunk, NewDocument } from '../store/index.ts';
import type { Pause } from './channel.ts';
import type { LoadResult } from './loaders/index.ts';
import { kindOfMime } from './loaders/sniff.ts';
import { textToDocument } from './loaders/text.ts';
import type { Tracker } from './progress.ts';
import { isLocation, type Plan, type PlannedItem, readFileInput, readUrl } from './sources/index.ts';
import { splitDocument } from './splitters/index.ts';
import { attachTables, type ExtractedTable, loadWithTables } from './tables/index.ts';
import type { IngestSummary, LoadedDocument, LoadOptions, RawInput, StoredDocument } from './types.ts';

/** A document ready to embed and write. */
export interface PreparedDocument {
  doc: NewDocument;
  chunks: NewChunk[];
  outcome: 'added' | 'updated';
  /** The document's tables to store; absent leaves stored tables as they are (a re-split of stored text). */
  tables?: ExtractedTable[];
}

export interface PrepareContext {
  config: Config;
  collectionId: string;
  chunking: ChunkingSettings;
  countTokens?: (text: string) => number;
  /** The embedder's passage budget in tokens, a cap on every chunk whatever the chunking unit. */
  maxTokens?: number;
  /** Stored sources with their content hashes: what decides unchanged vs updated. */
  existing: Map<string, string>;
  password?: string;
  signal?: AbortSignal;
  tracker: Tracker;
  summary: IngestSummary;
  /** Document sources met this run, and files read in full (for prune). */
  seen: Set<string>;
  loadedFiles: Set<string>;
  /** Gives the event loop a turn between documents (a server keeps answering during a long ingest). */
  pause?: Pause;
  /** Content hash → source of the stored uploads, made on the first upload met. */
  uploadsByHash?: Map<string, string>;
}

export function recordFailure(ctx: Pick<PrepareContext, 'tracker' | 'summary' | 'seen'>, source: string, error: unknown): void {
  const failure = isCairnError(error)
    ? { source, code: error.code, message: error.message }
    : { source, code: 'LOADER_FAILED', message: error instanceof Error ? error.message : String(error) };
  ctx.seen.add(source);
  ctx.summary.failed.push(failure);
  ctx.tracker.fail(failure);
}

function buildDocument(
  loaded: LoadedDocument,
  source: string,
  contentHash: string,
  bytes: number,
  ctx: PrepareContext,
): PreparedDocument {
  const id = documentId(ctx.collectionId, source);
  const split = splitDocument(loaded, {
    chunking: ctx.chunking,
    maxChunks: ctx.config.ingest.maxChunksPerDocument,
    ...(ctx.countTokens ? { countTokens: ctx.countTokens } : {}),
    ...(ctx.maxTokens ? { maxTokens: ctx.maxTokens } : {}),
  });
  if (split.length === 0) throw new CairnError('EMPTY_FILE', 'The document has no text to index');
  const chunks: NewChunk[] = split.map((c, ordinal) => ({ id: chunkId(id, contentHash, ordinal), ordinal, metadata: {}, ...c }));
  const doc: NewDocument = {
    id,
    collectionId: ctx.collectionId,
    source,
    mime: loaded.mime,
    title: loaded.title,
    language: loaded.language,
    contentHash,
    text: loaded.text,
    pages: loaded.pages,
    metadata: loaded.metadata,
    tags: [],
    bytes,
  };
  return { doc, chunks, outcome: ctx.existing.has(source) ? 'updated' : 'added' };
}

function markUnchanged(ctx: PrepareContext, source: string): void {
  ctx.seen.add(source);
  ctx.summary.unchanged++;
  ctx.summary.documents.push({ source, id: documentId(ctx.collectionId, source), status: 'unchanged' });
  ctx.tracker.documentDone(0);
}

type Emit = (prepared: PreparedDocument) => Promise<void>;

/** Only the part asked for (re-ingest of one JSONL line); SOURCE_NOT_FOUND when the file no longer has it. */
function onlyPart(result: LoadResult, base: string, only: string): LoadResult {
  const documents = result.documents.filter((d) => base + (d.part ?? '') === only);
  const failures = result.failures.filter((f) => base + f.part === only);
  if (documents.length + failures.length === 0) throw new CairnError('SOURCE_NOT_FOUND', `${only} is no longer in ${base}`);
  return { documents, failures };
}

/**
 * The stored upload or text with these bytes, whatever its name, for a new upload (one whose source
 * is made from its bytes; a replacing upload names its document instead): the same file twice is
 * one document. Uploads stored before sources carried a hash (a bare file name) count too.
 */
function sameUpload(ctx: PrepareContext, input: RawInput, bytesHash: string): string | undefined {
  if (!input.source.startsWith(`upload:${bytesHash.slice(0, 16)}/`)) return undefined;
  ctx.uploadsByHash ??= new Map([...ctx.existing].filter(([source]) => !isLocation(source)).map(([s, h]) => [h, s]));
  const found = ctx.uploadsByHash.get(bytesHash);
  ctx.uploadsByHash.set(bytesHash, found ?? input.source);
  return found;
}

/** Config, password, cancel and OCR page progress for the loaders. */
function loadOptions(ctx: PrepareContext): LoadOptions {
  return {
    config: ctx.config,
    ...(ctx.password ? { password: ctx.password } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onOcrPage: (done, total) => ctx.tracker.ocrPage(done, total),
  };
}

/** A low-confidence OCR page is reported in the ingest result (the job's notes), not kept silently. */
function noteOcrWarning(ctx: PrepareContext, source: string, loaded: LoadedDocument): void {
  const warning = (loaded.metadata.ocr as { warning?: string } | undefined)?.warning;
  if (warning) ctx.summary.notes.push(`${source}: ${warning}`);
}

async function prepareInput(input: RawInput, ctx: PrepareContext, emit: Emit, only?: string): Promise<void> {
  const bytesHash = sha256(input.data);
  // Same bytes as stored: skip loading altogether (a PDF parse is the costly part of a re-run).
  if (ctx.existing.get(input.source) === bytesHash) return markUnchanged(ctx, input.source);
  const stored = sameUpload(ctx, input, bytesHash);
  if (stored !== undefined) return markUnchanged(ctx, stored);
  const withTables = await loadWithTables(input, loadOptions(ctx));
  const loaded = withTables.result;
  const result = only ? onlyPart(loaded, input.source, only) : loaded;
  // Read in full only when every part was looked at (what --prune relies on).
  if (!only) ctx.loadedFiles.add(input.source);
  const extra = result.documents.length + result.failures.length - 1;
  if (extra > 0) ctx.tracker.addDocuments(extra);
  for (const failure of result.failures) {
    recordFailure(ctx, input.source + failure.part, new CairnError(failure.code as 'LOADER_FAILED', failure.message));
  }
  for (const loaded of result.documents) {
    await ctx.pause?.();
    // One file can be thousands of documents (JSONL): an abort stops it here, not at its end.
    if (ctx.signal?.aborted) return;
    const source = input.source + (loaded.part ?? '');
    const hash = loaded.contentHash ?? bytesHash;
    if (ctx.existing.get(source) === hash) {
      markUnchanged(ctx, source);
      continue;
    }
    ctx.seen.add(source);
    noteOcrWarning(ctx, source, loaded);
    try {
      const built = buildDocument(loaded, source, hash, loaded.part ? Buffer.byteLength(loaded.text) : input.data.length, ctx);
      await emit(attachTables(built, withTables.tables.get(loaded.part ?? ''), ctx.config.ingest.maxChunksPerDocument));
    } catch (error) {
      recordFailure(ctx, source, error);
    }
  }
}

/** The splitter family a stored document's loader gave it, known again from its content type. */
const SPLIT_KINDS = new Set<string>(['markdown', 'html', 'pdf']);

function storedToLoaded(document: StoredDocument): LoadedDocument {
  const { text, mime, title, language, pages, metadata } = document;
  const kind = kindOfMime(mime) ?? 'text';
  return {
    text,
    mime,
    title,
    language,
    pages,
    outline: [],
    metadata,
    kind: SPLIT_KINDS.has(kind) ? (kind as LoadedDocument['kind']) : 'text',
  };
}

async function prepareItem(item: PlannedItem, ctx: PrepareContext, emit: Emit): Promise<void> {
  switch (item.type) {
    case 'error':
      throw item.error;
    case 'file':
      return prepareInput(await readFileInput(item.source, ctx.config.ingest.maxFileBytes), ctx, emit, item.only).catch((error) =>
        recordFailure(ctx, item.only ?? item.source, error),
      );
    case 'bytes':
      return prepareInput(item.input, ctx, emit);
    case 'text': {
      const hash = hashContent(item.text);
      if (ctx.existing.get(item.source) === hash) return markUnchanged(ctx, item.source);
      ctx.seen.add(item.source);
      const loaded = { ...textToDocument(item.text, item.title), metadata: item.metadata };
      return emit(buildDocument(loaded, item.source, hash, Buffer.byteLength(item.text), ctx));
    }
    case 'stored': {
      // Always split again: re-ingesting a stored document is asked for when chunking or models changed.
      ctx.seen.add(item.source);
      const { document } = item;
      return emit(
        buildDocument(storedToLoaded(document), item.source, document.contentHash, Buffer.byteLength(document.text), ctx),
      );
    }
    case 'url': {
      let first = true;
      for await (const page of readUrl(item.source, ctx.config, ctx.signal, item.only !== undefined)) {
        if (!first) ctx.tracker.addDocuments(1);
        first = false;
        if ('error' in page) recordFailure(ctx, item.only ?? page.source, page.error);
        else await prepareInput(page, ctx, emit, item.only).catch((error) => recordFailure(ctx, item.only ?? page.source, error));
      }
    }
  }
}

/** The load and split stages: every planned item becomes documents for `emit`, or recorded failures. */
export async function prepareAll(plan: Plan, ctx: PrepareContext, emit: Emit): Promise<void> {
  for (const item of plan.items) {
    await ctx.pause?.();
    if (ctx.signal?.aborted) return;
    try {
      await prepareItem(item, ctx, emit);
    } catch (error) {
      recordFailure(ctx, item.source, error);
    }
  }
}
