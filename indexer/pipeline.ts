import { type ChunkingSettings, type Collection, type Config, toCairnError } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import { createChannel, createPause } from './channel.ts';
import { type PrepareContext, type PreparedDocument, prepareAll } from './prepare.ts';
import { createTracker, type Tracker } from './progress.ts';
import { type Plan, planSources } from './sources/index.ts';
import type { IngestDeps, IngestRequest, IngestSummary } from './types.ts';
import { embedAndWrite } from './write-stage.ts';

export const NO_EMBEDDER_NOTE = 'no embedder: stored for BM25 only; run `cairn reindex` once a model is available';

/** Work between event-loop turns: long enough to cost nothing measurable, short enough for a server. */
const PAUSE_SLICE_MS = 10;

function emptySummary(): IngestSummary {
  return { added: 0, updated: 0, unchanged: 0, removed: 0, failed: [], chunks: 0, seconds: 0, documents: [], notes: [] };
}

/** A document's file: its source without a part suffix ("#L3" for a JSONL line). */
function fileOf(source: string): string {
  const hash = source.lastIndexOf('#');
  return hash > 0 && !/^https?:/i.test(source) ? source.slice(0, hash) : source;
}

/** --prune: documents under the walked folders whose files are gone (or whose parts no longer exist). */
async function prune(store: StoreContract, collection: Collection, plan: Plan, ctx: PrepareContext): Promise<number> {
  let removed = 0;
  for (const folder of plan.folders) {
    const { documents } = await store.documents.list({ collectionId: collection.id, sourcePrefix: folder, limit: 1_000_000 });
    for (const doc of documents) {
      const file = fileOf(doc.source);
      if (file !== folder && !file.startsWith(`${folder}/`) && !file.startsWith(`${folder}\\`)) continue;
      const gone = !plan.files.has(file) || (ctx.loadedFiles.has(file) && !ctx.seen.has(doc.source));
      if (gone && (await store.documents.remove(doc.id))) removed++;
    }
  }
  return removed;
}

/** Chunks stored earlier without vectors for this embedder (an earlier BM25-only ingest) are named, not silently left. */
async function notePending(deps: IngestDeps, collection: Collection, summary: IngestSummary): Promise<void> {
  const model = (deps.embedder as NonNullable<IngestDeps['embedder']>).id;
  const pending = (await deps.store.chunks.pendingForModel(collection.id, model, 1)).length;
  if (pending > 0) summary.notes.push(`some chunks have no vectors for ${model} yet; run \`cairn reindex\` to embed them`);
}

async function startJob(store: StoreContract, jobId: string | undefined): Promise<void> {
  if (jobId) await store.jobs.start(jobId);
}

async function finishJob(
  store: StoreContract,
  jobId: string | undefined,
  summary: IngestSummary,
  cancelled: boolean,
): Promise<void> {
  if (!jobId) return;
  const nothingWorked = summary.failed.length > 0 && summary.added + summary.updated + summary.unchanged === 0;
  const status = cancelled ? 'cancelled' : nothingWorked ? 'failed' : 'succeeded';
  const result = { ...summary, documents: summary.documents.length } as unknown as Record<string, unknown>;
  await store.jobs.finish(jobId, { status, result, ...(nothingWorked ? { error: 'every source failed' } : {}) });
}

async function runStages(deps: IngestDeps, plan: Plan, ctx: PrepareContext): Promise<void> {
  const batchSize = deps.config.models.embedBatchSize;
  const channel = createChannel<PreparedDocument>(Math.max(256, batchSize * 8));
  const producer = prepareAll(plan, ctx, (prepared) => {
    ctx.tracker.addChunks(prepared.chunks.length);
    return channel.push(prepared, prepared.chunks.length);
  }).then(
    () => channel.close(),
    (error) => channel.fail(error),
  );
  const store = deps.embedded ? { contract: deps.store, embedded: deps.embedded } : { contract: deps.store };
  await embedAndWrite(channel, { ...store, embedder: deps.embedder, batchSize, ctx });
  await producer;
}

/**
 * Token-sized chunks larger than the embedder's input (less its special tokens and passage prefix)
 * would be cut off when embedded; they are made to fit.
 */
function fitChunking(chunking: ChunkingSettings, deps: IngestDeps, summary: IngestSummary): ChunkingSettings {
  const limit = deps.embedder ? deps.embedder.maxPassageTokens : Number.POSITIVE_INFINITY;
  if (chunking.unit !== 'tokens' || chunking.size <= limit || limit < 2) return chunking;
  // Leaving room for the special tokens and prefix is routine; only a size beyond the model itself is worth a note.
  if (chunking.size > (deps.embedder?.maxTokens ?? limit))
    summary.notes.push(`chunk size ${chunking.size} tokens lowered to ${limit}, the most ${deps.embedder?.id} embeds`);
  return { ...chunking, size: limit, overlap: Math.min(chunking.overlap, Math.floor(limit / 4)) };
}

/** Source → content hash of what is stored; forced, no hash matches, so nothing counts as unchanged. */
async function knownSources(deps: IngestDeps, collectionId: string, force: boolean): Promise<Map<string, string>> {
  const sources = await deps.store.documents.sources(collectionId);
  return force ? new Map([...sources.keys()].map((source) => [source, ''])) : sources;
}

async function contextFor(
  deps: IngestDeps,
  request: IngestRequest,
  collection: Collection,
  tracker: Tracker,
  summary: IngestSummary,
): Promise<PrepareContext> {
  const countTokens = deps.embedder?.countTokens?.bind(deps.embedder);
  return {
    config: deps.config,
    collectionId: collection.id,
    chunking: fitChunking(collection.settings.chunking, deps, summary),
    existing: await knownSources(deps, collection.id, request.force === true),
    tracker,
    summary,
    seen: new Set(),
    loadedFiles: new Set(),
    pause: createPause(PAUSE_SLICE_MS),
    ...(countTokens ? { countTokens } : {}),
    ...(deps.embedder ? { maxTokens: deps.embedder.maxPassageTokens } : {}),
    ...(request.password ? { password: request.password } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
}

/**
 * Load → split → embed → write, streaming. Each document is written in one transaction; a bad
 * source is recorded as a failure and the batch goes on. Unchanged sources are no-ops.
 */
export async function ingest(deps: IngestDeps, request: IngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const summary = emptySummary();
  const tracker = createTracker(deps.store, request.jobId, request.onProgress);
  await startJob(deps.store, request.jobId);
  try {
    const collection = await ensureCollection(deps.store, deps.config, request.collection);
    const ctx = await contextFor(deps, request, collection, tracker, summary);
    const plan = await planSources(request.sources, deps.config);
    tracker.addDocuments(plan.items.length);
    await runStages(deps, plan, ctx);
    const cancelled = request.signal?.aborted === true;
    if (request.prune && !cancelled) summary.removed = await prune(deps.store, collection, plan, ctx);
    if (!deps.embedder && summary.added + summary.updated > 0) summary.notes.push(NO_EMBEDDER_NOTE);
    if (deps.embedder) await notePending(deps, collection, summary);
    if (cancelled) summary.notes.push('cancelled: documents written before the cancel are kept');
    summary.seconds = Number(((performance.now() - started) / 1000).toFixed(3));
    await tracker.flush();
    await finishJob(deps.store, request.jobId, summary, cancelled);
    return summary;
  } catch (error) {
    if (request.jobId) await deps.store.jobs.finish(request.jobId, { status: 'failed', error: toCairnError(error).message });
    throw error;
  }
}

/** The collection, created with the configured chunking when missing. */
export function ensureCollection(store: StoreContract, config: Config, name: string): Promise<Collection> {
  return store.collections.ensure({ name, settings: { chunking: config.ingest.chunking } });
}
