import path from 'node:path';
import type { Logger } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { Store } from '../../store/index.ts';
import { createOriginals, originalsDir } from '../../store/originals.ts';
import type { JobFiles } from '../../store/postgres/job-files.ts';
import { readPayload, sweepUploads } from './payload.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** An upload file younger than this may belong to a job another process is about to record. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;

/** A repeating timer; tests pass one they fire by hand (`run` returns the run's promise, to await it). */
export interface Timers {
  every(ms: number, run: () => void): () => void;
}

export const realTimers: Timers = {
  every(ms, run) {
    const timer = setInterval(run, ms);
    // Housekeeping never keeps a process alive on its own.
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface HousekeepingOptions {
  store: Pick<StoreContract, 'jobs'>;
  /** The embedded SQLite store, whose original files are pruned too (none are kept on PostgreSQL). */
  embedded?: Store;
  logger: Logger;
  uploadsDir: string;
  retentionDays: number;
  /** Milliseconds since the epoch, as Date.now. */
  clock: () => number;
  timers: Timers;
  /** Shared upload bytes (PostgreSQL): those no unfinished job needs are deleted like orphan files. */
  jobFiles?: Pick<JobFiles, 'prune'>;
}

/**
 * Deletes finished jobs older than the retention and upload files no unfinished job needs (written
 * over ORPHAN_GRACE_MS ago): once when started, then every hour.
 */
export function createHousekeeping(options: HousekeepingOptions) {
  const { store, logger } = options;
  let cancel: (() => void) | null = null;

  async function run(): Promise<{ pruned: number; orphans: string[] }> {
    const before = new Date(options.clock() - options.retentionDays * DAY_MS).toISOString();
    const pruned = await store.jobs.prune(before);
    const payloads = (await store.jobs.unfinishedPayloads()).map(readPayload);
    const orphans = sweepUploads(options.uploadsDir, payloads, options.clock() - ORPHAN_GRACE_MS);
    if (pruned > 0) logger.info(`pruned ${pruned} job(s) finished before ${before}`);
    if (orphans.length > 0) logger.info(`removed ${orphans.length} upload file(s) no job needs`);
    // Originals whose documents were deleted by another process (the CLI) go here at the latest.
    const embedded = options.embedded;
    const originals = embedded ? createOriginals(embedded.db, originalsDir(path.dirname(options.uploadsDir))).prune() : [];
    if (originals.length > 0) logger.info(`removed ${originals.length} original file(s) no document names`);
    const shared = (await options.jobFiles?.prune(new Date(options.clock() - ORPHAN_GRACE_MS).toISOString())) ?? 0;
    if (shared > 0) logger.info(`removed ${shared} shared upload(s) no job needs`);
    return { pruned, orphans };
  }

  return {
    run,
    async start(): Promise<void> {
      if (cancel) return;
      cancel = options.timers.every(HOUR_MS, () =>
        run().then(
          () => {},
          (error: Error) => logger.warn(`job housekeeping failed: ${error.message}`),
        ),
      );
      await run();
    },
    stop(): void {
      cancel?.();
      cancel = null;
    },
  };
}
