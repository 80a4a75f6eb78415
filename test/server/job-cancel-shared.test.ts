import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../core/index.ts';
import { createJobWorker, createMetrics, type JobWorker } from '../../server/index.ts';
import { createSharedJobs } from '../../server/jobs/shared.ts';
import type { IngestOutcome, Services } from '../../server/services.ts';
import { openPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { createTestDatabase, describePostgres } from '../store/postgres-helpers.ts';

const logger = createLogger({ level: 'error' });
const JOBS = { retentionDays: 30, maxAttempts: 3, leaseMs: 300, pollMs: 50 };

const outcome = (documents: number): IngestOutcome => ({
  added: documents,
  updated: 0,
  unchanged: 0,
  failed: [],
  chunks: documents,
  seconds: 0,
  documents: [],
  notes: [],
});

describePostgres('cancelling a job that runs on another instance', () => {
  let store: PostgresStore;
  let drop: () => Promise<void>;
  let uploads: string;
  const workers: JobWorker[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase('cairn_cancel');
    drop = database.drop;
    store = await openPostgresStore({ url: database.url, poolSize: 6 });
    await store.collections.create({ name: 'c' });
    uploads = mkdtempSync(path.join(tmpdir(), 'cairn-cancel-'));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await store?.close();
    await drop?.();
    rmSync(uploads, { recursive: true, force: true });
  });

  function worker(ingest: Services['ingest']): JobWorker {
    const shared = createSharedJobs({ pool: store.pool, leases: store.jobs, leaseMs: JOBS.leaseMs, pollMs: JOBS.pollMs });
    const created = createJobWorker({
      store,
      logger,
      metrics: createMetrics(),
      ingest,
      uploadsDir: uploads,
      config: JOBS,
      shared,
    });
    workers.push(created);
    return created;
  }

  it('the row says cancelled at once, and the running instance stops at its next heartbeat instead of finishing it', async () => {
    let aborted = false;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    // The instance that runs the job: its ingest works until it is told to stop.
    const runner = worker(async (call) => {
      started();
      await new Promise<void>((resolve) => call.signal?.addEventListener('abort', () => resolve()));
      aborted = true;
      return outcome(1);
    });
    await runner.resume();
    // The instance the user's cancel reaches: it never runs a job (its loop is not started).
    const other = worker(async () => outcome(0));
    const job = await other.submit({ kind: 'ingest', collection: 'c', sources: [{ type: 'text', text: 'slow' }] });
    await running;
    const answered = await other.cancel(job.id);
    expect(answered.status).toBe('cancelled');
    const stoppedBy = Date.now() + 2000;
    while (!aborted && Date.now() < stoppedBy) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(aborted).toBe(true);
    await runner.idle();
    const final = await store.jobs.require(job.id);
    expect(final.status).toBe('cancelled');
    expect(final.attempts).toBe(1);
  });
});
