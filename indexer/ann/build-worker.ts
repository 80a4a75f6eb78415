import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../core/index.ts';
import { openStore } from '../../store/index.ts';
import { type BuildWorkerData, type BuildWorkerReply, runBuild } from './builder.ts';

/** One background index build: its own SQLite connection, one job, then the thread ends. */
if (!parentPort) throw new Error('build-worker.ts runs only as a worker thread');
const port = parentPort;
const { dataDir, config, logLevel, job } = workerData as BuildWorkerData;
const store = openStore({ dataDir });
try {
  const result = await runBuild({ store, dataDir, config, logger: createLogger({ level: logLevel }) }, job);
  port.postMessage({ type: 'done', result } satisfies BuildWorkerReply);
} catch (error) {
  port.postMessage({ type: 'error', message: (error as Error).message ?? String(error) } satisfies BuildWorkerReply);
} finally {
  store.close();
}
