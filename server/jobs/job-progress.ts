import type { Job, JobFailure, JobProgress, JobStatus, Logger } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { StoredDocument } from '../services.ts';
import type { JobPayload } from './payload.ts';

/** What a progress event carries: progress only, never what was posted. */
export interface JobProgressView {
  id: string;
  status: JobStatus;
  progress: JobProgress;
}

export type JobEvent = { type: 'progress'; job: JobProgressView } | { type: 'done'; job: Job };

export function progressView(job: Pick<Job, 'id' | 'status' | 'progress'>): JobProgressView {
  return { id: job.id, status: job.status, progress: job.progress };
}

/** A stored document as the pipeline takes it back, or null when it was deleted meanwhile. */
async function storedDocument(store: StoreContract, id: string): Promise<StoredDocument | null> {
  const doc = await store.documents.get(id);
  if (!doc) return null;
  const { source, text, title, mime, language, pages, metadata, contentHash } = doc;
  return { source, text, title, mime, language, pages, metadata, contentHash };
}

/** The stored documents a job names, read ahead (materialize reads them synchronously). */
export async function storedDocuments(store: StoreContract, posted: JobPayload): Promise<Map<string, StoredDocument | null>> {
  const ids = posted.sources.flatMap((s) => (s.type === 'document' ? [s.id] : []));
  const docs = await Promise.all(ids.map((id) => storedDocument(store, id)));
  return new Map(ids.map((id, i) => [id, docs[i] ?? null]));
}

export interface ProgressReporterDeps {
  store: Pick<StoreContract, 'jobs'>;
  logger: Logger;
  /** Whether anyone subscribed to the job's events (no emit otherwise). */
  listening(): boolean;
  emit(progress: JobProgress): void;
}

/**
 * Progress into the job row (at most every 250 ms, one write after another) and to event
 * subscribers (at most every 100 ms; a job reporting progress is running). `written` resolves
 * once every write so far is done.
 */
export function createProgressReporter(id: string, deps: ProgressReporterDeps) {
  let lastEmit = 0;
  let lastWrite = 0;
  let failuresWritten = 0;
  let writes: Promise<void> = Promise.resolve();
  const report = (progress: JobProgress, failures: JobFailure[]) => {
    const time = Date.now();
    const final = progress.documentsDone >= progress.documentsTotal;
    if (time - lastWrite >= 250 || final || failures.length !== failuresWritten) {
      lastWrite = time;
      failuresWritten = failures.length;
      const snapshot = { ...progress };
      const failed = [...failures];
      writes = writes
        .then(() => deps.store.jobs.progress(id, snapshot, failed))
        .catch((error: Error) => deps.logger.warn(`job ${id}: progress not written: ${error.message}`));
    }
    if ((time - lastEmit >= 100 || final) && deps.listening()) {
      lastEmit = time;
      deps.emit(progress);
    }
  };
  return { report, written: () => writes };
}
