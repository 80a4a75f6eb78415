import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../core/index.ts';
import { openStore } from '../../store/index.ts';
import { type BuildWorkerData, type BuildWorkerReply, runBuild } from './builder.ts';

/** One background index build: its own SQLite connection, one job, then the thread ends. */
if (!parentPort) throw new Error('build-worker.ts runs only as a worker thread');
const port = parentPort;
const { dataDir, config, logLevel, job } = workerData as BuildWorkerData;
// Searches first: on Linux a priority set with pid 0 applies to the calling thread only (and to
// the threads it starts: the build's insert threads), so the build takes the CPU the search
// threads leave. Elsewhere it would lower the whole server, so it is not done.
if (process.platform === 'linux') {
  try {
    setPriority(0, 10);
  } catch {
    // Not allowed here: the build runs at normal priority.
  }
}
const store = openStore({ dataDir });
try {
  const result = await runBuild({ store, dataDir, config, logger: createLogger({ level: logLevel }) }, job);
  port.postMessage({ type: 'done', result } satisfies BuildWorkerReply);
} catch (error) {
  port.postMessage({ type: 'error', message: (error as Error).message ?? String(error) } satisfies BuildWorkerReply);
} finally {
  store.close();
}
