import { CairnError } from '../core/index.ts';
import type { IngestDeps } from './types.ts';

export interface ReindexRequest {
  collection: string;
  jobId?: string;
  signal?: AbortSignal;
  onProgress?: (p: { chunksDone: number; chunksTotal: number }) => void;
}

export interface ReindexSummary {
  chunks: number;
  documents: number;
  modelId: string;
  seconds: number;
}

/** Chunks without a vector for the model: a chunk has at most one vector per model. */
async function pendingCount(deps: IngestDeps, collectionId: string, modelId: string): Promise<number> {
  const [chunks, vectors] = await Promise.all([
    deps.store.chunks.count(collectionId),
    deps.store.vectors.count(collectionId, modelId),
  ]);
  return chunks - vectors;
}

/** Documents whose every chunk now has a vector for the model are marked ready. */
async function markReady(deps: IngestDeps, collectionId: string, modelId: string): Promise<number> {
  if (!deps.embedded) return markReadyThroughContract(deps, collectionId, modelId);
  return deps.embedded.db
    .prepare(
      `UPDATE documents SET status = 'ready', updated_at = ? WHERE collection_id = ? AND status = 'pending_vectors'
       AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = documents.id
         AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_rowid = c.rowid AND v.model_id = ?))`,
    )
    .run(new Date().toISOString(), collectionId, modelId).changes;
}

/** The same, document by document, on a backend without the embedded store's SQL. */
async function markReadyThroughContract(deps: IngestDeps, collectionId: string, modelId: string): Promise<number> {
  const { documents } = await deps.store.documents.list({ collectionId, status: 'pending_vectors', limit: 1_000_000 });
  let marked = 0;
  for (const doc of documents) {
    const rowids = (await deps.store.chunks.byDocument(doc.id)).map((c) => c.rowid);
    const vectors = await deps.store.vectors.getMany(rowids, modelId);
    if (vectors.size < rowids.length) continue;
    await deps.store.documents.setStatus(doc.id, 'ready');
    marked++;
  }
  return marked;
}

/** Embeds every chunk of a collection that has no vector for the embedder, in batches. */
export async function reindex(deps: IngestDeps, request: ReindexRequest): Promise<ReindexSummary> {
  const started = performance.now();
  const embedder = deps.embedder;
  if (!embedder) throw new CairnError('MODEL_MISSING', 'reindex needs an embedder, and none is available');
  const collection = await deps.store.collections.require(request.collection);
  const total = await pendingCount(deps, collection.id, embedder.id);
  const progress = { documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: total };
  if (request.jobId) await deps.store.jobs.start(request.jobId);
  const batchSize = deps.config.models.embedBatchSize;
  while (!request.signal?.aborted) {
    const chunks = await deps.store.chunks.pendingForModel(collection.id, embedder.id, batchSize);
    if (chunks.length === 0) break;
    const vectors = await embedder.embed(
      chunks.map((c) => c.text),
      'passage',
    );
    await deps.store.vectors.put(
      collection.id,
      embedder.id,
      chunks.map((c, i) => ({ rowid: c.rowid, vector: vectors[i] as Float32Array })),
    );
    progress.chunksDone += chunks.length;
    request.onProgress?.(progress);
    if (request.jobId) await deps.store.jobs.progress(request.jobId, progress);
  }
  const documents = await markReady(deps, collection.id, embedder.id);
  const summary = {
    chunks: progress.chunksDone,
    documents,
    modelId: embedder.id,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  if (request.jobId) {
    const status = request.signal?.aborted ? 'cancelled' : 'succeeded';
    await deps.store.jobs.finish(request.jobId, { status, result: { ...summary } });
  }
  return summary;
}
