import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { describePostgres, useTestDatabase } from './postgres-helpers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Claims until the queue has nothing left for this owner. */
async function drain(store: PostgresStore, owner: string): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const claim = await store.jobs.claimNext(owner, 60_000, 3);
    if (!claim) return got;
    if (claim.claimed) got.push(claim.job.id);
  }
}

describePostgres('PostgreSQL job leases (two instances, one queue)', () => {
  const url = useTestDatabase('cairn_jobs');
  let a: PostgresStore;
  let b: PostgresStore;
  beforeAll(async () => {
    a = await openPostgresStore({ url: url(), poolSize: 3 });
    b = await openPostgresStore({ url: url(), poolSize: 3 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });
  beforeEach(async () => {
    await a.pool.query('TRUNCATE jobs');
  });

  it('two claimers draining 40 jobs at once: each job is claimed exactly once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 40; i++) created.push((await a.jobs.create({ kind: 'ingest', payload: { i } })).id);
    const [byA, byB] = await Promise.all([drain(a, 'instance-a'), drain(b, 'instance-b')]);
    expect([...byA, ...byB].sort()).toEqual([...created].sort());
    expect(new Set([...byA, ...byB]).size).toBe(40);
    const owners = await a.pool.query<{ owner: string; n: number }>(
      "SELECT owner, count(*)::int AS n FROM jobs WHERE status = 'running' AND attempts = 1 GROUP BY owner ORDER BY owner",
    );
    expect(owners.rows).toEqual([
      ...(byA.length ? [{ owner: 'instance-a', n: byA.length }] : []),
      ...(byB.length ? [{ owner: 'instance-b', n: byB.length }] : []),
    ]);
  });

  it('a live lease is not taken over; an expired one is, and the old owner loses its heartbeat', async () => {
    const job = await a.jobs.create({ kind: 'ingest' });
    const first = await a.jobs.claimNext('instance-a', 150, 3);
    expect([first?.claimed, first?.job?.id, first?.job?.attempts]).toEqual([true, job.id, 1]);
    expect(await b.jobs.claimNext('instance-b', 60_000, 3)).toBeNull();
    expect(await b.jobs.claim(job.id, 3)).toMatchObject({ claimed: false, exhausted: false });
    expect(await a.jobs.heartbeat(job.id, 'instance-a', 150)).toBe(true);
    await sleep(300);
    const taken = await b.jobs.claimNext('instance-b', 60_000, 3);
    expect([taken?.claimed, taken?.job?.id, taken?.job?.status, taken?.job?.attempts]).toEqual([true, job.id, 'running', 2]);
    expect(await a.jobs.heartbeat(job.id, 'instance-a', 60_000)).toBe(false);
    expect(await b.jobs.heartbeat(job.id, 'instance-b', 60_000)).toBe(true);
    await b.jobs.finish(job.id, { status: 'succeeded' });
    expect(await b.jobs.heartbeat(job.id, 'instance-b', 60_000)).toBe(false);
    expect(await a.jobs.claimNext('instance-a', 60_000, 3)).toBeNull();
  });

  it('a job whose attempts are used up comes back unclaimed (exhausted), under the caller lease', async () => {
    const job = await a.jobs.create({ kind: 'ingest' });
    expect((await a.jobs.claimNext('instance-a', 50, 1))?.claimed).toBe(true);
    await sleep(150);
    const again = await b.jobs.claimNext('instance-b', 60_000, 1);
    expect(again).toEqual({ claimed: false, job: await a.jobs.get(job.id), exhausted: true });
    expect(again?.job?.attempts).toBe(1);
    expect(await a.jobs.claimNext('instance-a', 60_000, 1)).toBeNull();
  });
});
