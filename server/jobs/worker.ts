import { EventEmitter } from 'node:events';
import {
  CairnError,
  type Config,
  type Job,
  type JobFailure,
  type JobProgress,
  type JobStatus,
  type Logger,
  parseConfig,
} from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import type { Metrics } from '../metrics.ts';
import type { IngestOutcome, Services, StoredDocument } from '../services.ts';
import { createHousekeeping, realTimers, type Timers } from './housekeeping.ts';
import { createOriginalsKeeper } from './originals.ts';
import {
  finishedPayload,
  type JobPayload,
  materialize,
  readPayload,
  removeUploads,
  type StoredSource,
  sourceHashes,
  storeUploads,
  type UploadedFile,
  withHashes,
} from './payload.ts';

/** What a progress event carries: progress only, never what was posted. */
export interface JobProgressView {
  id: string;
  status: JobStatus;
  progress: JobProgress;
}

export type JobEvent = { type: 'progress'; job: JobProgressView } | { type: 'done'; job: Job };

/** The message of a job given up after its attempts, when no run left an error. */
export const CRASHED = 'process crashed during this job';

export interface JobWorker {
  /** Persists a job (uploads first written to files of the server's naming) and queues it. */
  submit(input: {
    kind: string;
    collection: string;
    sources?: StoredSource[];
    uploads?: UploadedFile[];
    /** For the encrypted PDFs of the job; dropped from the row when the job ends. */
    password?: string;
  }): Job;
  /**
   * Starts the worker on what a previous process left: prunes old jobs, removes upload files no
   * job needs, queues the unfinished jobs and returns how many.
   */
  resume(): number;
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
  /**
   * Cancels a job: a queued one at once, a running one at its next safe point (documents written so
   * far stay). Returns the job as it is now; CONFLICT when it has already finished.
   */
  cancel(id: string): Job;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
  /** Takes no more jobs and interrupts the running one at its next safe point (between documents). */
  stop(): Promise<void>;
  depth(): number;
}

export interface JobWorkerOptions {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  ingest: Services['ingest'];
  uploadsDir: string;
  /** Retention and attempts (config.jobs); the defaults when absent. */
  config?: Config['jobs'];
  /** Milliseconds since the epoch (Date.now); tests move it to see old jobs pruned. */
  clock?: () => number;
  timers?: Timers;
}

export function progressView(job: Pick<Job, 'id' | 'status' | 'progress'>): JobProgressView {
  return { id: job.id, status: job.status, progress: job.progress };
}

/** A stored document as the pipeline takes it back, or null when it was deleted meanwhile. */
function storedDocument(store: Store, id: string): StoredDocument | null {
  const doc = store.documents.get(id);
  if (!doc) return null;
  const { source, text, title, mime, language, pages, metadata, contentHash } = doc;
  return { source, text, title, mime, language, pages, metadata, contentHash };
}

/** One background worker in the server process: jobs run one at a time, in order, from the jobs table. */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { store, logger } = options;
  const limits = options.config ?? parseConfig({}).jobs;
  const housekeeping = createHousekeeping({
    store,
    logger,
    uploadsDir: options.uploadsDir,
    retentionDays: limits.retentionDays,
    clock: options.clock ?? Date.now,
    timers: options.timers ?? realTimers,
  });
  const keepOriginals = createOriginalsKeeper(store, options.uploadsDir);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const queue: string[] = [];
  let running: Promise<void> | null = null;
  let current: AbortController | null = null;
  let currentId: string | null = null;
  let cancelled: string | null = null;
  let stopping = false;
  let waiters: (() => void)[] = [];
  // An exception no one catches is about to end the process: it becomes the running job's last
  // error (the database write is synchronous), which the job fails with once its attempts are spent.
  const recordCrash = (error: unknown) => {
    if (currentId === null) return;
    try {
      store.jobs.noteError(currentId, error instanceof Error ? error.message : String(error));
    } catch {
      // The process is going down either way.
    }
  };

  const emitProgress = (id: string, progress?: JobProgress) => {
    const job = store.jobs.get(id);
    if (job) events.emit(id, { type: 'progress', job: progressView(progress ? { ...job, progress } : job) } satisfies JobEvent);
  };
  const emitDone = (id: string) => {
    const job = store.jobs.get(id);
    if (job) events.emit(id, { type: 'done', job } satisfies JobEvent);
  };

  /** Progress into the job row (at most every 250 ms) and to event subscribers (at most every 100 ms). */
  const progressReporter = (id: string) => {
    let lastEmit = 0;
    let lastWrite = 0;
    let failuresWritten = 0;
    return (progress: JobProgress, failures: JobFailure[]) => {
      const time = Date.now();
      const final = progress.documentsDone >= progress.documentsTotal;
      if (time - lastWrite >= 250 || final || failures.length !== failuresWritten) {
        lastWrite = time;
        failuresWritten = failures.length;
        store.jobs.progress(id, progress, failures);
      }
      if ((time - lastEmit >= 100 || final) && events.listenerCount(id) > 0) {
        lastEmit = time;
        emitProgress(id, progress);
      }
    };
  };

  /** Counts the finished job, removes its upload files and tells subscribers. */
  function closeOut(id: string, posted: JobPayload): void {
    options.metrics.countJob(store.jobs.get(id)?.status ?? 'failed');
    keepOriginals(posted);
    removeUploads(options.uploadsDir, posted);
    emitDone(id);
  }

  /**
   * Finishes the row with the outcome (ingest is called without the job id) and counts it. What
   * was posted is replaced by references to the documents it became.
   */
  function settle(id: string, posted: JobPayload, outcome: IngestOutcome | Error): void {
    if (outcome instanceof Error) {
      store.jobs.finish(id, { status: 'failed', error: outcome.message, payload: finishedPayload([]) });
      logger.warn(`job ${id} failed: ${outcome.message}`);
      closeOut(id, posted);
      return;
    }
    const payload = finishedPayload(outcome.documents.map((d) => d.id));
    const result = { ...outcome, documents: outcome.documents.length };
    if (cancelled === id) {
      store.jobs.finish(id, { status: 'cancelled', result, payload });
      closeOut(id, posted);
      return;
    }
    const worked = outcome.added + outcome.updated + outcome.unchanged > 0;
    const failedAll = !worked && outcome.failed.length > 0;
    store.jobs.progress(id, store.jobs.require(id).progress, outcome.failed);
    store.jobs.finish(id, {
      status: failedAll ? 'failed' : 'succeeded',
      result,
      payload,
      ...(failedAll ? { error: 'every source failed' } : {}),
    });
    options.metrics.countIngest('added', outcome.added);
    options.metrics.countIngest('updated', outcome.updated);
    options.metrics.countIngest('unchanged', outcome.unchanged);
    options.metrics.countIngest('failed', outcome.failed.length);
    closeOut(id, posted);
  }

  /** A job started maxAttempts times without finishing (each run took the process down): failed, not run again. */
  function giveUp(job: Job): void {
    const posted = readPayload(store.jobs.payload(job.id));
    const error = job.error ?? CRASHED;
    store.jobs.finish(job.id, { status: 'failed', error, payload: finishedPayload([]) });
    logger.error(`job ${job.id} failed after ${job.attempts} attempt(s): ${error}`);
    closeOut(job.id, posted);
  }

  async function ingestJob(job: Job, posted: JobPayload, signal: AbortSignal): Promise<IngestOutcome | Error> {
    try {
      const read = (documentId: string) => storedDocument(store, documentId);
      const { inputs, missing } = materialize(options.uploadsDir, posted.sources, read);
      // One call for the whole job: the pipeline gives the event loop a turn between documents, so
      // requests are served while it runs, and the signal stops it at the next document.
      const report = progressReporter(job.id);
      const outcome = await options.ingest({
        collection: job.collectionId as string,
        sources: inputs,
        // Re-ingest is asked for when something changed that the content hash cannot see (chunking, models).
        force: job.kind === 'reingest',
        ...(posted.password ? { password: posted.password } : {}),
        signal,
        onProgress: (progress) => report(progress, []),
      });
      const lost = missing.map((source) => ({ source, code: 'SOURCE_NOT_FOUND', message: 'The upload or document is gone' }));
      return { ...outcome, failed: [...outcome.failed, ...lost] };
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  async function runJob(id: string): Promise<void> {
    const found = store.jobs.get(id);
    if (!found || found.collectionId === null) return;
    // Counted before anything of the job runs, so a run that kills the process still counts.
    const claim = store.jobs.claim(id, limits.maxAttempts);
    if (!claim.claimed) {
      if (claim.exhausted && claim.job) giveUp(claim.job);
      return;
    }
    const posted = readPayload(store.jobs.payload(id));
    emitProgress(id);
    current = new AbortController();
    currentId = id;
    const outcome = await ingestJob(claim.job, posted, current.signal);
    // Interrupted by shutdown: back in the queue, and the next start runs it again (each document
    // is written in one transaction, so the rerun finds finished ones unchanged).
    currentId = null;
    if (stopping && cancelled !== id) {
      store.jobs.requeue(id);
      return;
    }
    settle(id, posted, outcome);
  }

  function cancel(id: string): Job {
    const job = store.jobs.require(id);
    if (job.status !== 'queued' && job.status !== 'running') {
      throw new CairnError('CONFLICT', `Job ${id} has already ${job.status}`, { status: job.status });
    }
    if (currentId === id) {
      cancelled = id;
      current?.abort();
      return store.jobs.require(id);
    }
    const at = queue.indexOf(id);
    if (at >= 0) queue.splice(at, 1);
    const posted = readPayload(store.jobs.payload(id));
    store.jobs.finish(id, { status: 'cancelled', payload: finishedPayload([]) });
    closeOut(id, posted);
    return store.jobs.require(id);
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopping) {
      const id = queue.shift() as string;
      try {
        await runJob(id);
      } catch (error) {
        // Left unfinished with its error: the next start tries again, within its attempts.
        logger.error(`job ${id} crashed: ${(error as Error).stack ?? error}`);
        store.jobs.noteError(id, (error as Error).message ?? String(error));
      }
    }
    current = null;
    running = null;
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  }

  const kick = () => {
    // drain() always awaits before finishing when the queue is non-empty, so `running` is cleared after this assignment.
    if (!running && !stopping && queue.length > 0) running = drain();
  };

  return {
    submit(input) {
      const collectionId = store.collections.require(input.collection).id;
      const payload: JobPayload = {
        sources: withHashes(input.sources ?? []),
        ...(input.password ? { password: input.password } : {}),
      };
      // Written before the row: a crash in between leaves files that a later start removes.
      if (input.uploads?.length) {
        const { batch, sources } = storeUploads(options.uploadsDir, input.uploads);
        payload.sources.push(...sources);
        payload.batch = batch;
      }
      const job = store.jobs.create({
        kind: input.kind,
        collectionId,
        payload: { ...payload },
        hashes: sourceHashes(payload.sources),
      });
      queue.push(job.id);
      kick();
      return job;
    },
    cancel,
    resume() {
      housekeeping.start();
      process.off('uncaughtExceptionMonitor', recordCrash);
      process.on('uncaughtExceptionMonitor', recordCrash);
      const unfinished = store.jobs.unfinished().filter((job) => !queue.includes(job.id));
      for (const job of unfinished) queue.push(job.id);
      if (unfinished.length > 0) logger.info(`resuming ${unfinished.length} unfinished job(s)`);
      kick();
      return unfinished.length;
    },
    subscribe(jobId, listener) {
      events.on(jobId, listener);
      return () => events.off(jobId, listener);
    },
    idle: () => (running ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    async stop() {
      stopping = true;
      housekeeping.stop();
      process.off('uncaughtExceptionMonitor', recordCrash);
      current?.abort(new Error('server shutting down'));
      await running;
    },
    depth: () => queue.length + (running ? 1 : 0),
  };
}
