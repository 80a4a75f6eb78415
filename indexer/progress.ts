import type { JobFailure, JobProgress } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';

/**
 * Progress of one ingest: counts for the caller's callback and, when there is a job row, the
 * same written to it (throttled, failures written at once).
 */
export interface Tracker {
  progress: JobProgress;
  failures: JobFailure[];
  addDocuments(n: number): void;
  addChunks(n: number): void;
  documentDone(chunks: number): void;
  fail(failure: JobFailure): void;
  /** A page of the document being read was OCR'd: written at once, an OCR page takes seconds. */
  ocrPage(done: number, total: number): void;
  /** Writes the progress now and waits for every write so far (the first failed one rethrows). */
  flush(): Promise<void>;
}

/** OCR page counts describe the document being read: gone once it is done. */
function endOcr(progress: JobProgress): void {
  delete progress.ocrPagesDone;
  delete progress.ocrPagesTotal;
}

export function createTracker(
  store: Pick<StoreContract, 'jobs'>,
  jobId: string | undefined,
  onProgress?: (p: JobProgress) => void,
  intervalMs = 250,
): Tracker {
  const progress: JobProgress = { documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 };
  const failures: JobFailure[] = [];
  let lastWrite = 0;
  let failuresDirty = false;
  // Writes go one after another, each with the counts of its moment, so the job row never goes back.
  let writes: Promise<void> = Promise.resolve();
  let failed: unknown = null;
  const write = (force: boolean) => {
    onProgress?.({ ...progress });
    if (!jobId) return;
    const time = Date.now();
    if (!force && !failuresDirty && time - lastWrite < intervalMs) return;
    lastWrite = time;
    const snapshot = { ...progress };
    const failuresNow = failuresDirty || force ? [...failures] : undefined;
    writes = writes
      .then(() => store.jobs.progress(jobId, snapshot, failuresNow))
      .catch((error: unknown) => {
        failed ??= error;
      });
    failuresDirty = false;
  };
  return {
    progress,
    failures,
    addDocuments(n) {
      progress.documentsTotal += n;
      write(false);
    },
    addChunks(n) {
      progress.chunksTotal += n;
    },
    documentDone(chunks) {
      endOcr(progress);
      progress.documentsDone++;
      progress.chunksDone += chunks;
      write(false);
    },
    fail(failure) {
      endOcr(progress);
      failures.push(failure);
      failuresDirty = true;
      progress.documentsDone++;
      write(false);
    },
    ocrPage(done, total) {
      progress.ocrPagesDone = done;
      progress.ocrPagesTotal = total;
      write(true);
    },
    async flush() {
      write(true);
      await writes;
      if (failed !== null) throw failed;
    },
  };
}
