import { EventEmitter } from 'node:events';
import { CairnError, type Config, type Job, type Logger, parseConfig } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { Store } from '../../store/index.ts';
import type { Metrics } from '../metrics.ts';
import type { IngestOutcome, Services } from '../services.ts';
import { createHousekeeping, realTimers, type Timers } from './housekeeping.ts';
import { createProgressReporter, type JobEvent, progressView, storedDocuments } from './job-progress.ts';
import type { LeaseLoop } from './leases.ts';
import { createOriginalsKeeper } from './originals.ts';
import {
  finishedPayload,
  type JobPayload,
  materialize,
  postedPayload,
  readPayload,
  removeUploads,
  type StoredSource,
  sourceHashes,
  type UploadedFile,
  uploadFiles,
} from './payload.ts';
import { pollJobEvents, type SharedJobs, startSharedJobLoop } from './shared.ts';

export { type JobEvent, type JobProgressView, progressView } from './job-progress.ts';

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
  }): Promise<Job>;
  /**
   * Starts the worker on what a previous process left: prunes old jobs, removes upload files no
   * job needs, queues the unfinished jobs and returns how many.
   */
  resume(): Promise<number>;
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
  /**
   * Cancels a job: a queued one at once, a running one at its next safe point (documents written so
   * far stay). Returns the job as it is now; CONFLICT when it has already finished.
   */
  cancel(id: string): Promise<Job>;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
  /** Takes no more jobs and interrupts the running one at its next safe point (between documents). */
  stop(): Promise<void>;
  depth(): number;
}

export interface JobWorkerOptions {
  store: StoreContract;
  /** The embedded SQLite store, which keeps uploads as originals; absent on PostgreSQL (no originals kept). */
  embedded?: Store;
  logger: Logger;
  metrics: Metrics;
  ingest: Services['ingest'];
  uploadsDir: string;
  /** Retention and attempts (config.jobs); the defaults when absent. */
  config?: Config['jobs'];
  /** Milliseconds since the epoch (Date.now); tests move it to see old jobs pruned. */
  clock?: () => number;
  timers?: Timers;
  /**
   * Jobs shared with the other instances of one database (PostgreSQL): claimed under leases by
   * whichever instance is free, instead of queued in this process.
   */
  shared?: SharedJobs;
}

/** One background worker in the server process: jobs run one at a time, in order, from the jobs table. */
export function createJobWorker(options: JobWorkerOptions): JobWorker {
  const { store, logger } = options;
  const limits = options.config ?? parseConfig({}).jobs;
  const housekeeping = createHousekeeping({
    store,
    ...(options.embedded ? { embedded: options.embedded } : {}),
    logger,
    uploadsDir: options.uploadsDir,
    retentionDays: limits.retentionDays,
    clock: options.clock ?? Date.now,
    timers: options.timers ?? realTimers,
    ...(options.shared ? { jobFiles: options.shared.files } : {}),
  });
  const keepOriginals = options.embedded ? createOriginalsKeeper(options.embedded, options.uploadsDir) : () => {};
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const queue: string[] = [];
  let running: Promise<void> | null = null;
  let current: AbortController | null = null;
  let currentId: string | null = null;
  let cancelled: string | null = null;
  let stopping = false;
  let waiters: (() => void)[] = [];
  let loop: LeaseLoop | null = null;
  // resume() returns once the first resumed job is under way (its ingest called) or none is left.
  let underWay: (() => void) | null = null;
  const started = () => {
    underWay?.();
    underWay = null;
  };
  // An exception no one catches is about to end the process: it becomes the running job's last
  // error (on SQLite the write happens within the call, before the process ends; a database
  // server may not get it), which the job fails with once its attempts are spent.
  const recordCrash = (error: unknown) => {
    if (currentId === null) return;
    try {
      store.jobs.noteError(currentId, error instanceof Error ? error.message : String(error)).catch(() => {});
    } catch {
      // The process is going down either way.
    }
  };

  const emitProgress = (job: Pick<Job, 'id' | 'status' | 'progress'>) => {
    events.emit(job.id, { type: 'progress', job: progressView(job) } satisfies JobEvent);
  };
  const emitDone = async (id: string) => {
    const job = await store.jobs.get(id);
    if (job) events.emit(id, { type: 'done', job } satisfies JobEvent);
  };

  const progressReporter = (id: string) =>
    createProgressReporter(id, {
      store,
      logger,
      listening: () => events.listenerCount(id) > 0,
      emit: (progress) => emitProgress({ id, status: 'running', progress }),
    });

  /** Counts the finished job, removes its upload files and tells subscribers. */
  async function closeOut(id: string, posted: JobPayload): Promise<void> {
    options.metrics.countJob((await store.jobs.get(id))?.status ?? 'failed');
    keepOriginals(posted);
    removeUploads(options.uploadsDir, posted);
    if (options.shared && posted.batch) await options.shared.files.drop(posted.batch);
    await emitDone(id);
  }

  /**
   * Finishes the row with the outcome (ingest is called without the job id) and counts it. What
   * was posted is replaced by references to the documents it became.
   */
  async function settle(id: string, posted: JobPayload, outcome: IngestOutcome | Error): Promise<void> {
    if (outcome instanceof Error) {
      await store.jobs.finish(id, { status: 'failed', error: outcome.message, payload: finishedPayload([]) });
      logger.warn(`job ${id} failed: ${outcome.message}`);
      await closeOut(id, posted);
      return;
    }
    const payload = finishedPayload(outcome.documents.map((d) => d.id));
    const result = { ...outcome, documents: outcome.documents.length };
    if (cancelled === id) {
      await store.jobs.finish(id, { status: 'cancelled', result, payload });
      await closeOut(id, posted);
      return;
    }
    const worked = outcome.added + outcome.updated + outcome.unchanged > 0;
    const failedAll = !worked && outcome.failed.length > 0;
    await store.jobs.progress(id, (await store.jobs.require(id)).progress, outcome.failed);
    await store.jobs.finish(id, {
      status: failedAll ? 'failed' : 'succeeded',
      result,
      payload,
      ...(failedAll ? { error: 'every source failed' } : {}),
    });
    options.metrics.countIngest('added', outcome.added);
    options.metrics.countIngest('updated', outcome.updated);
    options.metrics.countIngest('unchanged', outcome.unchanged);
    options.metrics.countIngest('failed', outcome.failed.length);
    await closeOut(id, posted);
  }

  /** A job started maxAttempts times without finishing (each run took the process down): failed, not run again. */
  async function giveUp(job: Job): Promise<void> {
    const posted = readPayload(await store.jobs.payload(job.id));
    const error = job.error ?? CRASHED;
    await store.jobs.finish(job.id, { status: 'failed', error, payload: finishedPayload([]) });
    logger.error(`job ${job.id} failed after ${job.attempts} attempt(s): ${error}`);
    await closeOut(job.id, posted);
  }

  async function ingestJob(job: Job, posted: JobPayload, signal: AbortSignal): Promise<IngestOutcome | Error> {
    try {
      const documents = await storedDocuments(store, posted);
      const { inputs, missing } = materialize(options.uploadsDir, posted.sources, (id) => documents.get(id) ?? null);
      // One call for the whole job: the pipeline gives the event loop a turn between documents, so
      // requests are served while it runs, and the signal stops it at the next document.
      const { report, written } = progressReporter(job.id);
      const ingesting = options.ingest({
        collection: job.collectionId as string,
        sources: inputs,
        // Re-ingest is asked for when something changed that the content hash cannot see (chunking, models).
        force: job.kind === 'reingest',
        ...(posted.password ? { password: posted.password } : {}),
        signal,
        onProgress: (progress) => report(progress, []),
      });
      started();
      const outcome = await ingesting;
      await written();
      const lost = missing.map((source) => ({ source, code: 'SOURCE_NOT_FOUND', message: 'The upload or document is gone' }));
      return { ...outcome, failed: [...outcome.failed, ...lost] };
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  async function runJob(id: string): Promise<void> {
    const found = await store.jobs.get(id);
    if (!found || found.collectionId === null) return;
    // Counted before anything of the job runs, so a run that kills the process still counts.
    const claim = await store.jobs.claim(id, limits.maxAttempts);
    if (!claim.claimed) {
      if (claim.exhausted && claim.job) await giveUp(claim.job);
      return;
    }
    await execute(claim.job);
  }

  /** Runs a job this worker has claimed; `lost` (shared jobs) stops it when another instance took it over. */
  async function execute(job: Job, lost?: AbortSignal): Promise<void> {
    const id = job.id;
    const posted = readPayload(await store.jobs.payload(id));
    if (options.shared) await options.shared.files.restore(options.uploadsDir, uploadFiles(posted));
    emitProgress(job);
    current = new AbortController();
    currentId = id;
    const controller = current;
    const onLost = () => controller.abort(lost?.reason);
    lost?.addEventListener('abort', onLost);
    const outcome = await ingestJob(job, posted, current.signal);
    lost?.removeEventListener('abort', onLost);
    // Taken over by another instance (this one stalled past its lease): that one finishes it.
    if (lost?.aborted) {
      currentId = null;
      // Cancelled on another instance (the row is finished), or taken over by one (this instance
      // stalled past its lease): either way this one writes nothing more of it.
      const now = await store.jobs.get(id);
      if (now && now.status !== 'queued' && now.status !== 'running') await closeOut(id, posted);
      else logger.warn(`job ${id}: lease lost to another instance; left to it`);
      return;
    }
    // Interrupted by shutdown: back in the queue, and the next start runs it again (each document
    // is written in one transaction, so the rerun finds finished ones unchanged).
    currentId = null;
    if (stopping && cancelled !== id) {
      await store.jobs.requeue(id);
      // Another instance can take it now rather than at its next poll.
      await options.shared?.notify().catch(() => {});
      return;
    }
    // Cancelled on another instance after this one's last heartbeat: it ends cancelled, not succeeded.
    if (options.shared && (await store.jobs.get(id))?.status === 'cancelled') cancelled = id;
    await settle(id, posted, outcome);
  }

  async function cancel(id: string): Promise<Job> {
    const job = await store.jobs.require(id);
    if (job.status !== 'queued' && job.status !== 'running') {
      throw new CairnError('CONFLICT', `Job ${id} has already ${job.status}`, { status: job.status });
    }
    if (currentId === id) {
      cancelled = id;
      current?.abort();
      return store.jobs.require(id);
    }
    if (options.shared && job.status === 'running') {
      // Another instance runs it: the row says cancelled now, and that instance's next heartbeat
      // (within a third of the lease) finds the job no longer its own and stops at the next
      // document; what it wrote so far stays, as with a local cancel.
      return store.jobs.finish(id, { status: 'cancelled' });
    }
    const at = queue.indexOf(id);
    if (at >= 0) queue.splice(at, 1);
    const posted = readPayload(await store.jobs.payload(id));
    await store.jobs.finish(id, { status: 'cancelled', payload: finishedPayload([]) });
    await closeOut(id, posted);
    return store.jobs.require(id);
  }

  /** A job that throws is left unfinished with its error: the next start (or instance) tries again, within its attempts. */
  async function runGuarded(id: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      logger.error(`job ${id} crashed: ${(error as Error).stack ?? error}`);
      await store.jobs.noteError(id, (error as Error).message ?? String(error)).catch(() => {});
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopping) {
      const id = queue.shift() as string;
      await runGuarded(id, () => runJob(id));
    }
    current = null;
    running = null;
    started();
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
  }

  /** Shared jobs: this instance claims whatever job is waiting, whoever accepted it. */
  const startSharedLoop = (shared: SharedJobs): LeaseLoop =>
    startSharedJobLoop(shared, {
      maxAttempts: limits.maxAttempts,
      logger,
      run: (job, lost) => runGuarded(job.id, () => execute(job, lost)),
      exhausted: giveUp,
    });

  const kick = () => {
    // drain() always awaits before finishing when the queue is non-empty, so `running` is cleared after this assignment.
    if (!running && !stopping && queue.length > 0) running = drain();
  };

  return {
    async submit(input) {
      const collectionId = (await store.collections.require(input.collection)).id;
      const payload = await postedPayload(options.uploadsDir, input, options.shared?.files);
      const job = await store.jobs.create({
        kind: input.kind,
        collectionId,
        payload: { ...payload },
        hashes: sourceHashes(payload.sources),
      });
      if (options.shared) {
        loop?.wake();
        await options.shared.notify().catch((error: Error) => logger.warn(`job ${job.id}: notify failed: ${error.message}`));
      } else {
        queue.push(job.id);
        kick();
      }
      return job;
    },
    cancel,
    async resume() {
      await housekeeping.start();
      process.off('uncaughtExceptionMonitor', recordCrash);
      process.on('uncaughtExceptionMonitor', recordCrash);
      if (options.shared) {
        loop ??= startSharedLoop(options.shared);
        return 0;
      }
      const unfinished = (await store.jobs.unfinished()).filter((job) => !queue.includes(job.id));
      for (const job of unfinished) queue.push(job.id);
      if (unfinished.length > 0) logger.info(`resuming ${unfinished.length} unfinished job(s)`);
      const underway = new Promise<void>((resolve) => {
        underWay = resolve;
      });
      kick();
      if (!running) started();
      await underway;
      return unfinished.length;
    },
    subscribe(jobId, listener) {
      // The job may run on another instance: its events come from its row.
      if (options.shared) return pollJobEvents(store, jobId, listener);
      events.on(jobId, listener);
      return () => events.off(jobId, listener);
    },
    idle: () => {
      if (loop) return loop.idle();
      return running ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    async stop() {
      stopping = true;
      housekeeping.stop();
      process.off('uncaughtExceptionMonitor', recordCrash);
      current?.abort(new Error('server shutting down'));
      await Promise.all([running, loop?.stop()]);
    },
    depth: () => queue.length + (running || loop?.running() ? 1 : 0),
  };
}
