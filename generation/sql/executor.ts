import { Worker } from 'node:worker_threads';
import { CairnError, type Config, type ErrorCode } from '../../core/index.ts';
import { TICK } from './guard.ts';

export interface SqlRows {
  columns: string[];
  rows: (string | number | null)[][];
  /** More rows than the row limit: the rest were not read. */
  truncated: boolean;
  /** Table rows read (each row of each table, per time a join read it). */
  scanned: number;
  ms: number;
}

export interface ExecuteOptions {
  /** The database file, opened read-only by the query's thread. */
  file: string;
  limits: Config['tables'];
  signal?: AbortSignal;
}

type Reply =
  | { ok: true; columns: string[]; rows: (string | number | null)[][]; truncated: boolean; scanned: number }
  | { ok: false; code: ErrorCode; message: string };

const WORKER_URL = new URL('./sql-worker.mjs', import.meta.url);
/** Threads still running, counted until each has exited (a stopped query's thread included). */
let running = 0;

/**
 * Runs a guarded SELECT in a worker thread on a read-only connection. The query stops itself at the
 * deadline (its table reads are counted); a thread that has not answered shortly after is ended.
 */
export function executeSelect(sql: string, options: ExecuteOptions): Promise<SqlRows> {
  const { limits } = options;
  if (running >= limits.maxConcurrent) {
    return Promise.reject(new CairnError('OVERLOADED', `${running} SQL queries are running; try again shortly`));
  }
  const started = performance.now();
  const workerData = {
    file: options.file,
    sql,
    maxRows: limits.maxRows,
    maxScannedRows: limits.maxScannedRows,
    deadline: Date.now() + limits.timeoutMs,
    tick: TICK,
  };
  running++;
  const worker = new Worker(WORKER_URL, { workerData, resourceLimits: { maxOldGenerationSizeMb: 256 } });
  worker.once('exit', () => running--);
  return new Promise<SqlRows>((resolve, reject) => {
    const finish = (error: CairnError | null, reply?: Reply) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error);
      else if (reply && !reply.ok) reject(new CairnError(reply.code, reply.message));
      else if (reply?.ok) {
        const { columns, rows, truncated, scanned } = reply;
        resolve({ columns, rows, truncated, scanned, ms: Math.round(performance.now() - started) });
      }
    };
    const onAbort = () => finish(new CairnError('CANCELLED', 'The query was cancelled'));
    // Grace past the deadline for the query's own check to answer; then the thread is ended.
    const timer = setTimeout(
      () => finish(new CairnError('SQL_TIMEOUT', `the query ran past its time limit (${limits.timeoutMs} ms)`)),
      limits.timeoutMs + 250,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: Reply) => finish(null, reply));
    worker.once('error', (error) => finish(new CairnError('SQL_FAILED', error.message)));
  });
}
