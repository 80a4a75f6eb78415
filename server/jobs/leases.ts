import type { Job, Logger } from '../../core/index.ts';
import type { JobLeases } from '../../store/postgres/index.ts';

/**
 * The job loop of an instance that shares its database with others (PostgreSQL): it claims the
 * oldest waiting job for itself under a lease (SKIP LOCKED, so each job goes to one instance),
 * keeps the lease alive while the job runs, and claims the next. A job whose instance died is
 * claimed again once its lease has expired. Between jobs it sleeps until woken (NOTIFY from a
 * submitting instance) or until the poll interval has passed, whichever comes first.
 */
export interface LeaseLoopOptions {
  leases: JobLeases;
  /** This instance's name in the jobs table (host, pid and a random part). */
  owner: string;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
  logger: Logger;
  /** Runs a job this instance now holds; `lost` is aborted when the lease is lost to another instance. */
  run(job: Job, lost: AbortSignal): Promise<void>;
  /** A job found with its attempts used up: give it up (it is held under this instance's lease meanwhile). */
  exhausted(job: Job): Promise<void>;
  /** Subscribes to "a job was submitted somewhere"; returns the unsubscribe. */
  subscribe?: (wake: () => void) => () => void;
  timers?: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval'>;
}

export interface LeaseLoop {
  /** Looks for work now (after a local submit, say) instead of at the next poll. */
  wake(): void;
  /** Resolves when no job is running here and none was waiting at the last look. */
  idle(): Promise<void>;
  /** Claims nothing more; resolves once the running job (if any) has returned. */
  stop(): Promise<void>;
  running(): string | null;
}

/** Extends the lease every third of it; aborts `lost` when another instance holds the job now. */
function keepLease(options: LeaseLoopOptions, id: string, lost: AbortController): () => void {
  const timers = options.timers ?? globalThis;
  const beat = timers.setInterval(
    () => {
      options.leases.heartbeat(id, options.owner, options.leaseMs).then(
        (held) => {
          if (!held) lost.abort(new Error(`lease on job ${id} lost`));
        },
        (error: Error) => options.logger.warn(`job ${id}: heartbeat failed: ${error.message}`),
      );
    },
    Math.max(10, Math.floor(options.leaseMs / 3)),
  );
  return () => timers.clearInterval(beat);
}

export function startLeaseLoop(options: LeaseLoopOptions): LeaseLoop {
  const timers = options.timers ?? globalThis;
  let stopped = false;
  let current: string | null = null;
  let sleeping: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  let idleWaiters: (() => void)[] = [];
  let wokenWhileBusy = false;

  const wake = () => {
    wokenWhileBusy = true;
    if (!sleeping) return;
    timers.clearTimeout(sleeping.timer);
    sleeping.resolve();
  };
  const unsubscribe = options.subscribe?.(wake) ?? (() => {});
  const sleep = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        sleeping = null;
        resolve();
      };
      sleeping = { timer: timers.setTimeout(done, options.pollMs), resolve: done };
    });

  /** Claims and runs one job; false when nothing was waiting. */
  async function step(): Promise<boolean> {
    const claim = await options.leases.claimNext(options.owner, options.leaseMs, options.maxAttempts);
    if (!claim) return false;
    if (!claim.job) return true;
    if (!claim.claimed) {
      await options.exhausted(claim.job);
      return true;
    }
    current = claim.job.id;
    const lost = new AbortController();
    const release = keepLease(options, claim.job.id, lost);
    try {
      await options.run(claim.job, lost.signal);
    } finally {
      release();
      current = null;
    }
    return true;
  }

  const loop = (async () => {
    while (!stopped) {
      wokenWhileBusy = false;
      let worked = false;
      try {
        worked = await step();
      } catch (error) {
        options.logger.error(`job loop: ${(error as Error).stack ?? error}`);
      }
      if (worked || stopped) continue;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
      if (!wokenWhileBusy) await sleep();
    }
  })();

  return {
    wake,
    running: () => current,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      }),
    async stop() {
      stopped = true;
      unsubscribe();
      wake();
      await loop;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },
  };
}
