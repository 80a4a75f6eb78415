import { Worker } from 'node:worker_threads';
import type { Config, Logger } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { createIndexWork } from './index-work.ts';
import { indexPaths } from './manifest.ts';

export interface BuildJob {
  collectionId: string;
  modelId: string;
}

/** What a build left on disk: the saved index's seq and size, or null when there are no vectors. */
export type BuildResult = { seq: number; count: number } | null;

/**
 * Builds, catches up and saves one index off the search path. The result is a file (and its
 * manifest); searchers load it when it is ready instead of each building their own.
 */
export interface IndexBuilder {
  build(job: BuildJob): Promise<BuildResult>;
  close(): Promise<void>;
}

export interface BuilderOptions {
  store: Store;
  dataDir: string;
  config: Config['index'];
  logger: Logger;
}

/** The steps of a build, shared by the thread and in-thread builders. */
export async function runBuild(options: BuilderOptions, job: BuildJob): Promise<BuildResult> {
  const { store, dataDir, config, logger } = options;
  const work = createIndexWork({ store, config, logger });
  const paths = indexPaths(dataDir, job.collectionId, job.modelId);
  const entry = work.refresh(null, job.collectionId, job.modelId, paths);
  if (!entry) return null;
  entry.unsaved = Math.max(entry.unsaved, 1);
  await work.save(entry);
  return { seq: entry.seq, count: entry.index.size() };
}

/** Builds in the calling thread: the fallback when no thread can start, and for tests. */
export function createInlineBuilder(options: BuilderOptions): IndexBuilder {
  return { build: (job) => runBuild(options, job), close: async () => undefined };
}

const WORKER_URL = new URL('./build-worker.mjs', import.meta.url);

export type BuildWorkerReply = { type: 'done'; result: BuildResult } | { type: 'error'; message: string };

export interface BuildWorkerData {
  dataDir: string;
  config: Config['index'];
  logLevel: Config['logLevel'];
  job: BuildJob;
}

/**
 * Each build in a fresh worker thread with its own SQLite connection, so a build of a million
 * vectors runs on another core while every search thread keeps answering. Falls back to building
 * in-thread when the worker cannot start.
 */
export function createThreadBuilder(options: BuilderOptions & { logLevel?: Config['logLevel']; workerUrl?: URL }): IndexBuilder {
  const running = new Set<Worker>();
  let closed = false;

  function inWorker(job: BuildJob): Promise<BuildResult> {
    const workerData: BuildWorkerData = {
      dataDir: options.dataDir,
      config: options.config,
      logLevel: options.logLevel ?? 'warn',
      job,
    };
    const worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData });
    running.add(worker);
    return new Promise<BuildResult>((resolve, reject) => {
      let settled = false;
      worker.on('message', (reply: BuildWorkerReply) => {
        settled = true;
        if (reply.type === 'done') resolve(reply.result);
        else reject(new Error(reply.message));
      });
      worker.on('error', (error) => {
        settled = true;
        reject(error);
      });
      worker.on('exit', (code) => {
        running.delete(worker);
        if (!settled) reject(new Error(`the index build thread exited with code ${code}`));
      });
    });
  }

  return {
    async build(job) {
      try {
        return await inWorker(job);
      } catch (error) {
        // Closing ends builds on purpose: they resume from the log next time.
        if (closed) throw error;
        options.logger.warn('index build thread failed; building in this thread', { error: (error as Error).message });
        return runBuild(options, job);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...running].map((worker) => worker.terminate()));
    },
  };
}
