import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { JobFailure, JobProgress } from '../../core/index.ts';
import type { IngestOutcome, IngestSourceInput, Services } from '../services.ts';

/** Sources per ingest call: small enough that requests are served between batches. */
export const BATCH_SIZE = 8;

export function emptyOutcome(): IngestOutcome {
  return { added: 0, updated: 0, unchanged: 0, failed: [], chunks: 0, seconds: 0, documents: [], notes: [] };
}

export function mergeOutcome(into: IngestOutcome, part: IngestOutcome): IngestOutcome {
  return {
    ...into,
    ...part,
    added: into.added + part.added,
    updated: into.updated + part.updated,
    unchanged: into.unchanged + part.unchanged,
    failed: [...into.failed, ...part.failed],
    chunks: into.chunks + part.chunks,
    seconds: Number((into.seconds + part.seconds).toFixed(3)),
    documents: [...into.documents, ...part.documents],
    notes: [...new Set([...into.notes, ...part.notes])],
  };
}

/**
 * Runs one job's sources through ingest a few at a time. The pipeline does much of its work
 * synchronously (loading, splitting, SQLite writes), so one call over thousands of files would
 * hold the event loop for its whole run; between batches the server answers requests, and a
 * shutdown stops the job there.
 */
export async function ingestInBatches(
  ingest: Services['ingest'],
  request: { collection: string; sources: IngestSourceInput[]; signal: AbortSignal },
  onProgress: (progress: JobProgress, failures: JobFailure[]) => void,
): Promise<IngestOutcome> {
  let outcome = emptyOutcome();
  const base: JobProgress = { documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 };
  for (let start = 0; start < request.sources.length; start += BATCH_SIZE) {
    await yieldToEventLoop();
    if (request.signal.aborted) break;
    const batch = request.sources.slice(start, start + BATCH_SIZE);
    const remaining = request.sources.length - start - batch.length;
    const report = (p: JobProgress) =>
      onProgress(
        {
          documentsDone: base.documentsDone + p.documentsDone,
          documentsTotal: base.documentsDone + p.documentsTotal + remaining,
          chunksDone: base.chunksDone + p.chunksDone,
          chunksTotal: base.chunksDone + p.chunksTotal,
        },
        outcome.failed,
      );
    const part = await ingest({ collection: request.collection, sources: batch, signal: request.signal, onProgress: report });
    outcome = mergeOutcome(outcome, part);
    base.documentsDone += part.added + part.updated + part.unchanged + part.failed.length;
    base.chunksDone += part.chunks;
    report({ documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 });
  }
  return outcome;
}
