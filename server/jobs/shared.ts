import { hostname } from 'node:os';
import type pg from 'pg';
import { randomId } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { JobLeases } from '../../store/postgres/index.ts';
import { createPgJobFiles, type JobFiles } from '../../store/postgres/job-files.ts';
import { JOBS_CHANNEL, listenChannel, notifyChannel } from '../../store/postgres/notify.ts';
import type { JobEvent } from './job-progress.ts';
import { type LeaseLoop, type LeaseLoopOptions, startLeaseLoop } from './leases.ts';

/**
 * What a job worker needs to share its jobs with other instances of one database: leases to claim
 * jobs with, a place for upload bytes any instance can read, and wake-ups. Absent on the embedded
 * store, where one process owns the data folder and its jobs.
 */
export interface SharedJobs {
  leases: JobLeases;
  files: JobFiles;
  /** This instance's name in the jobs table. */
  owner: string;
  leaseMs: number;
  pollMs: number;
  /** Tells every instance that a job is waiting. */
  notify(): Promise<void>;
  subscribe(wake: () => void): () => void;
}

export interface SharedJobsOptions {
  pool: pg.Pool;
  leases: JobLeases;
  leaseMs?: number;
  pollMs?: number;
}

/** The lease loop of an instance on a shared database, claiming with its owner name and lease. */
export function startSharedJobLoop(
  shared: SharedJobs,
  options: Pick<LeaseLoopOptions, 'maxAttempts' | 'logger' | 'run' | 'exhausted'>,
): LeaseLoop {
  return startLeaseLoop({
    leases: shared.leases,
    owner: shared.owner,
    leaseMs: shared.leaseMs,
    pollMs: shared.pollMs,
    subscribe: shared.subscribe,
    ...options,
  });
}

export function createSharedJobs(options: SharedJobsOptions): SharedJobs {
  return {
    leases: options.leases,
    files: createPgJobFiles(options.pool),
    owner: `${hostname()}:${process.pid}:${randomId('')}`,
    leaseMs: options.leaseMs ?? 30_000,
    pollMs: options.pollMs ?? 1000,
    notify: () => notifyChannel(options.pool, JOBS_CHANNEL),
    subscribe(wake) {
      const listener = listenChannel(options.pool, JOBS_CHANNEL, wake);
      return () => void listener.close();
    },
  };
}

/**
 * A job's events read from its row: on a shared database the job may run on another instance,
 * whose progress reaches this one only through the table. Emits progress when it changes and
 * `done` once the job has finished, then stops polling.
 */
export function pollJobEvents(
  store: Pick<StoreContract, 'jobs'>,
  jobId: string,
  listener: (event: JobEvent) => void,
  everyMs = 200,
): () => void {
  let last = '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tick = async () => {
    timer = null;
    // A failed read (the database busy or failing over) is tried again: only a deleted job ends the events.
    const job = await store.jobs.get(jobId).catch(() => undefined);
    if (stopped || job === null) return;
    if (job === undefined) {
      timer = setTimeout(tick, everyMs);
      return;
    }
    if (job.status !== 'queued' && job.status !== 'running') {
      listener({ type: 'done', job });
      return;
    }
    const seen = JSON.stringify([job.status, job.progress]);
    if (seen !== last) {
      last = seen;
      listener({ type: 'progress', job: { id: job.id, status: job.status, progress: job.progress } });
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
