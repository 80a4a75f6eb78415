import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger, type Job } from '../../core/index.ts';
import { startLeaseLoop } from '../../server/jobs/leases.ts';
import { openPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { createPgJobFiles } from '../../store/postgres/job-files.ts';
import { JOBS_CHANNEL, listenChannel, notifyChannel } from '../../store/postgres/notify.ts';
import { createTestDatabase, describePostgres } from '../store/postgres-helpers.ts';

const logger = createLogger({ level: 'error' });

describePostgres('jobs shared by instances (PostgreSQL leases)', () => {
  let store: PostgresStore;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase('cairn_leases');
    drop = database.drop;
    store = await openPostgresStore({ url: database.url, poolSize: 6 });
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  /** An instance's loop that records which jobs it ran and finishes each. */
  function instance(owner: string, ran: Map<string, string[]>, options: { leaseMs?: number; pollMs?: number } = {}) {
    return startLeaseLoop({
      leases: store.jobs,
      owner,
      leaseMs: options.leaseMs ?? 5000,
      pollMs: options.pollMs ?? 50,
      maxAttempts: 3,
      logger,
      run: async (job: Job) => {
        ran.set(job.id, [...(ran.get(job.id) ?? []), owner]);
        await new Promise((resolve) => setTimeout(resolve, 2));
        await store.jobs.finish(job.id, { status: 'succeeded', result: { by: owner } });
      },
      exhausted: async (job) => {
        await store.jobs.finish(job.id, { status: 'failed', error: 'gave up' });
      },
    });
  }

  it('two instances run 60 jobs: each exactly once, none lost, both took some', async () => {
    const ran = new Map<string, string[]>();
    const a = instance('a', ran);
    const b = instance('b', ran);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await store.jobs.create({ kind: 'ingest' })).id);
    a.wake();
    b.wake();
    await Promise.all([a.idle(), b.idle()]);
    await Promise.all([a.stop(), b.stop()]);
    expect([...ran.keys()].sort()).toEqual([...ids].sort());
    expect([...ran.values()].every((owners) => owners.length === 1)).toBe(true);
    const owners = [...ran.values()].map((o) => o[0]);
    expect(owners.filter((o) => o === 'a').length).toBeGreaterThan(0);
    expect(owners.filter((o) => o === 'b').length).toBeGreaterThan(0);
    const statuses = await Promise.all(ids.map(async (id) => (await store.jobs.require(id)).status));
    expect(new Set(statuses)).toEqual(new Set(['succeeded']));
  });

  it('a job held by an instance that died is run by another once the lease runs out, and not before', async () => {
    const job = await store.jobs.create({ kind: 'ingest' });
    const dead = await store.jobs.claimNext('dead-instance', 400, 3);
    expect(dead?.job?.id).toBe(job.id);
    const ran = new Map<string, string[]>();
    const started = Date.now();
    const survivor = instance('survivor', ran, { pollMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ran.has(job.id)).toBe(false);
    while (!ran.has(job.id) && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    await survivor.stop();
    expect(ran.get(job.id)).toEqual(['survivor']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const finished = await store.jobs.require(job.id);
    expect(finished.status).toBe('succeeded');
    expect(finished.attempts).toBe(2);
  });

  it('a live lease is kept by heartbeats: a long job is not taken over', async () => {
    const job = await store.jobs.create({ kind: 'ingest' });
    const ran = new Map<string, string[]>();
    let release: () => void = () => {};
    const slow = startLeaseLoop({
      leases: store.jobs,
      owner: 'slow',
      leaseMs: 300,
      pollMs: 50,
      maxAttempts: 3,
      logger,
      run: async (claimed) => {
        ran.set(claimed.id, ['slow']);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await store.jobs.finish(claimed.id, { status: 'succeeded' });
      },
      exhausted: async () => {},
    });
    while (!ran.has(job.id)) await new Promise((resolve) => setTimeout(resolve, 20));
    const other = instance('other', ran, { pollMs: 50 });
    // Three lease lengths: without heartbeats the other instance would have taken it.
    await new Promise((resolve) => setTimeout(resolve, 900));
    release();
    await slow.stop();
    await other.stop();
    expect(ran.get(job.id)).toEqual(['slow']);
  });

  it('a NOTIFY wakes a sleeping instance long before its next poll', async () => {
    const ran = new Map<string, string[]>();
    const sleeper = startLeaseLoop({
      leases: store.jobs,
      owner: 'sleeper',
      leaseMs: 5000,
      pollMs: 60_000,
      maxAttempts: 3,
      logger,
      subscribe: (wake) => {
        const listener = listenChannel(store.pool, JOBS_CHANNEL, wake);
        return () => void listener.close();
      },
      run: async (job) => {
        ran.set(job.id, ['sleeper']);
        await store.jobs.finish(job.id, { status: 'succeeded' });
      },
      exhausted: async () => {},
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const job = await store.jobs.create({ kind: 'ingest' });
    const sent = Date.now();
    await notifyChannel(store.pool, JOBS_CHANNEL);
    while (!ran.has(job.id) && Date.now() - sent < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
    const waited = Date.now() - sent;
    await sleeper.stop();
    expect(ran.get(job.id)).toEqual(['sleeper']);
    expect(waited).toBeLessThan(1000);
  });

  it('bytes no unfinished job names are pruned once old enough; a waiting job’s bytes are kept', async () => {
    const files = createPgJobFiles(store.pool);
    await store.pool.query('DELETE FROM job_files');
    await files.put([
      { file: 'up_orphan/0.bin', data: new Uint8Array([1]) },
      { file: 'up_waiting/0.bin', data: new Uint8Array([2]) },
    ]);
    const waiting = await store.jobs.create({ kind: 'ingest', payload: { sources: [], batch: 'up_waiting' } });
    expect(await files.prune('2000-01-01T00:00:00.000Z')).toBe(0);
    expect(await files.prune('2999-01-01T00:00:00.000Z')).toBe(1);
    const left = await store.pool.query<{ file: string }>('SELECT file FROM job_files ORDER BY file');
    expect(left.rows.map((r) => r.file)).toEqual(['up_waiting/0.bin']);
    await store.jobs.finish(waiting.id, { status: 'succeeded' });
    expect(await files.prune('2999-01-01T00:00:00.000Z')).toBe(1);
  });

  it('upload bytes accepted by one instance are restored into another instance’s uploads folder', async () => {
    const files = createPgJobFiles(store.pool);
    const there = mkdtempSync(path.join(tmpdir(), 'cairn-uploads-'));
    try {
      await files.put([{ file: 'up_1/0.bin', data: new TextEncoder().encode('hello from A') }]);
      expect(await files.restore(there, ['up_1/0.bin', 'up_1/1.bin'])).toBe(1);
      expect(readFileSync(path.join(there, 'up_1/0.bin'), 'utf8')).toBe('hello from A');
      expect(await files.restore(there, ['up_1/0.bin'])).toBe(0);
      await files.drop('up_1');
      rmSync(path.join(there, 'up_1'), { recursive: true });
      expect(await files.restore(there, ['up_1/0.bin'])).toBe(0);
    } finally {
      rmSync(there, { recursive: true, force: true });
    }
  });
});
