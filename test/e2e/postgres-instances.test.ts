import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../store/postgres-helpers.ts';
import {
  getJob,
  type Instance,
  ingestFile,
  ingestText,
  type JobView,
  jobEvents,
  mapLimit,
  search,
  startInstance,
  until,
  wordFor,
} from './instances.ts';

/**
 * Two real `cairn serve` processes on one PostgreSQL database (issue #18): what one instance
 * writes the other finds at once, jobs posted to both run exactly once between them, and a job
 * whose instance is killed is finished by the other once its lease runs out.
 */

// Short enough that a takeover happens within the test, long enough that a busy machine keeps its leases.
const JOBS = { leaseMs: 3000, pollMs: 200 };

/**
 * Every attempt of every job, as the database saw it (a trigger the test adds): which instance
 * counted it, and until when the previous owner's lease ran. `owner` alone cannot tell: a
 * finished job's row no longer names one.
 */
const CLAIM_AUDIT = `
  CREATE TABLE job_claims (seq bigserial PRIMARY KEY, job_id text NOT NULL, owner text, attempts int NOT NULL,
    old_lease timestamptz, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE FUNCTION record_claim() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.attempts > OLD.attempts THEN
      INSERT INTO job_claims (job_id, owner, attempts, old_lease) VALUES (NEW.id, NEW.owner, NEW.attempts, OLD.lease_expires_at);
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER jobs_claims AFTER UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION record_claim();`;

const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

describePostgres('two cairn serve instances on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: pg.Client;
  let a: Instance;
  let b: Instance;
  const byPid = new Map<string, string>();

  /** The instance an owner (`host:pid:random`) names. */
  const instanceOf = (owner: string | null) => (owner ? (byPid.get(owner.split(':')[1] ?? '') ?? owner) : null);

  beforeAll(async () => {
    database = await createTestDatabase('cairn_instances');
    // Started together on the empty database: the migrations run once, under their advisory lock.
    const [first, second] = ['a', 'b'].map((name) => startInstance({ name, databaseUrl: database.url, jobs: JOBS }));
    [a, b] = await Promise.all([first as Promise<Instance>, second as Promise<Instance>]);
    for (const instance of [a, b]) byPid.set(String(instance.proc.pid), instance.name);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    await db.query(CLAIM_AUDIT);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.dispose(), b?.dispose()]);
    await db?.end();
    await database?.drop();
  });

  /** The shared upload bytes go once their jobs end (just after the job's row says so). */
  const noUploadBytesLeft = () =>
    until(
      'job_files to be emptied',
      async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM job_files');
        return rows[0]?.n === 0 ? true : undefined;
      },
      3000,
    );

  it('a text ingested through A is found by a search on B within 1 s of its job succeeding', async () => {
    const text = 'Granite cairns mark the ridge trail above the glacier lake.';
    const jobId = await ingestText(a, 'trail', text, 'ridge-note');
    await until(
      'the job to succeed',
      async () => ((await getJob(a, jobId)).status === 'succeeded' ? true : undefined),
      15_000,
      5,
    );
    const succeededAt = performance.now();
    const found = await until(
      'the passage on B',
      async () => {
        // The collection exists on B only once A's job has made it: until then B answers 404.
        const passages = await search(b, 'trail', 'glacier ridge').catch(() => []);
        return passages.length > 0 ? passages : undefined;
      },
      5_000,
      5,
    );
    const elapsed = performance.now() - succeededAt;
    expect(found.map((p) => [p.text, p.source])).toEqual([[text, 'ridge-note']]);
    expect(elapsed).toBeLessThan(1000);
    const claims = await db.query('SELECT attempts FROM job_claims WHERE job_id = $1', [jobId]);
    expect(claims.rows).toEqual([{ attempts: 1 }]);
  }, 30_000);

  it('200 documents posted to both at once: every job runs once, no document twice, all found on both', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => {
      const via = i % 2 === 0 ? a : b;
      const word = wordFor('cq', i);
      const text = `Cairn ${word} stands on the pass, stone ${i} of the shared trail.`;
      // Half of them are uploaded files, whose bytes travel through job_files to whichever instance runs the job.
      const upload = i % 4 < 2;
      const name = `${via.name}-${i}.txt`;
      const source = upload ? `upload:${sha16(text)}/${name}` : `${via.name}-text-${i}`;
      return { i, via, word, text, upload, name, source };
    });
    // All 200 requests in flight together, A's and B's interleaved.
    const jobIds = await Promise.all(
      docs.map((d) => (d.upload ? ingestFile(d.via, 'shared', d.name, d.text) : ingestText(d.via, 'shared', d.text, d.source))),
    );
    await until(
      'every job to finish',
      async () => {
        const { rows } = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND status IN ('queued', 'running')",
          [jobIds],
        );
        return rows[0]?.n === 0 ? true : undefined;
      },
      40_000,
      50,
    );

    const jobs = await db.query<{ status: string; attempts: number; n: number; chunks: number }>(
      `SELECT status, attempts, count(*)::int AS n, sum((result->>'chunks')::int)::int AS chunks
       FROM jobs WHERE id = ANY($1) GROUP BY status, attempts`,
      [jobIds],
    );
    expect(jobs.rows).toEqual([{ status: 'succeeded', attempts: 1, n: 200, chunks: 200 }]);
    const claims = await db.query<{ job_id: string; owner: string }>(
      'SELECT job_id, owner FROM job_claims WHERE job_id = ANY($1)',
      [jobIds],
    );
    expect(claims.rows.map((r) => r.job_id).sort()).toEqual([...jobIds].sort());
    const ranOn = new Map<string, number>();
    for (const row of claims.rows)
      ranOn.set(instanceOf(row.owner) ?? 'none', (ranOn.get(instanceOf(row.owner) ?? 'none') ?? 0) + 1);
    expect([...ranOn.keys()].sort()).toEqual(['a', 'b']);
    expect((ranOn.get('a') ?? 0) + (ranOn.get('b') ?? 0)).toBe(200);

    const stored = await db.query<{ source: string; chunks: number }>(
      `SELECT d.source, count(c.rowid)::int AS chunks FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
       WHERE d.collection_id = 'shared' GROUP BY d.id, d.source`,
    );
    const bySource = (x: { source: string }, y: { source: string }) => (x.source < y.source ? -1 : 1);
    expect(stored.rows.sort(bySource)).toEqual(docs.map((d) => ({ source: d.source, chunks: 1 })).sort(bySource));
    const chunkCount = await db.query("SELECT count(*)::int AS n FROM chunks WHERE collection_id = 'shared'");
    expect(chunkCount.rows).toEqual([{ n: 200 }]);
    await noUploadBytesLeft();

    const found = await mapLimit(docs, 8, async (d) => ({
      a: (await search(a, 'shared', d.word)).map((p) => [p.text, p.source]),
      b: (await search(b, 'shared', d.word)).map((p) => [p.text, p.source]),
    }));
    const expected = docs.map((d) => ({ a: [[d.text, d.source]], b: [[d.text, d.source]] }));
    expect(found).toEqual(expected);
  }, 90_000);

  /** A JSONL upload of `lines` one-chunk documents: one job that runs for seconds. */
  function bulk(lines: number): string {
    const line = (i: number) =>
      JSON.stringify({ text: `Line ${i + 1} of the long import: ${'stones along the ridge '.repeat(30)}` });
    return Array.from({ length: lines }, (_, i) => `${line(i)}\n`).join('');
  }

  /** Waits until the job is mid-way (some documents written, most not) and returns the instance running it and the other. */
  async function midJob(jobId: string, lines: number): Promise<[Instance, Instance]> {
    const holder = await until(
      'the job to be under way',
      async () => {
        const { rows } = await db.query<{ owner: string | null; done: number }>(
          "SELECT owner, (progress->>'documentsDone')::int AS done FROM jobs WHERE id = $1 AND status = 'running'",
          [jobId],
        );
        const row = rows[0];
        return row?.owner && row.done >= 50 && row.done < lines / 2 ? row.owner : undefined;
      },
      20_000,
    );
    return instanceOf(holder) === 'a' ? [a, b] : [b, a];
  }

  const finishedOn = (survivor: Instance, jobId: string) =>
    until(
      'the survivor to finish the job',
      async () => {
        const job = await getJob(survivor, jobId);
        return job.status === 'queued' || job.status === 'running' ? undefined : job;
      },
      45_000,
      100,
    );

  /** Every line of the upload is one document, each there once. */
  async function expectEveryLineOnce(collection: string, jsonl: string, lines: number): Promise<string> {
    const prefix = `upload:${sha16(jsonl)}/import.jsonl#L`;
    const stored = await db.query<{ source: string }>('SELECT source FROM documents WHERE collection_id = $1', [collection]);
    const numbers = stored.rows.map((r) => (r.source.startsWith(prefix) ? Number(r.source.slice(prefix.length)) : -1));
    expect(numbers.sort((x, y) => x - y)).toEqual(Array.from({ length: lines }, (_, i) => i + 1));
    const chunkCount = await db.query('SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1', [collection]);
    expect(chunkCount.rows).toEqual([{ n: lines }]);
    await noUploadBytesLeft();
    return prefix;
  }

  it('SIGTERM to the instance running a job: it puts the job back at the next document, the other finishes it', async () => {
    const lines = 1500;
    const jsonl = bulk(lines);
    const jobId = await ingestFile(a, 'paused', 'import.jsonl', jsonl, 'application/x-ndjson');
    const [victim, survivor] = await midJob(jobId, lines);
    expect(await victim.kill('SIGTERM')).toBe(0);
    const finished = await finishedOn(survivor, jobId);
    // The interrupted run is not counted: the survivor's run is the job's first and only attempt.
    expect({ status: finished.status, attempts: finished.attempts }).toEqual({ status: 'succeeded', attempts: 1 });
    const result = finished.result as NonNullable<JobView['result']>;
    // The stopped instance wrote part of the file, not all of it: the survivor added the rest.
    expect(result.unchanged).toBeGreaterThanOrEqual(50);
    expect(result.unchanged).toBeLessThan(lines);
    expect({ documents: result.documents, added: result.added, failed: result.failed }).toEqual({
      documents: lines,
      added: lines - result.unchanged,
      failed: [],
    });
    const claims = await db.query<{ owner: string; attempts: number }>(
      'SELECT owner, attempts FROM job_claims WHERE job_id = $1 ORDER BY seq',
      [jobId],
    );
    expect(claims.rows.map((r) => ({ ...r, owner: instanceOf(r.owner) }))).toEqual([
      { owner: victim.name, attempts: 1 },
      { owner: survivor.name, attempts: 1 },
    ]);
    await expectEveryLineOnce('paused', jsonl, lines);
    // The stopped instance comes back (a fresh process and folder) for the next test.
    const restarted = await startInstance({ name: victim.name, databaseUrl: database.url, jobs: JOBS });
    byPid.set(String(restarted.proc.pid), restarted.name);
    if (victim === a) a = restarted;
    else b = restarted;
    await victim.dispose();
  }, 90_000);

  it('kill -9 of the instance running a job: the other takes it over once the lease expires and finishes it', async () => {
    const lines = 1500;
    const jsonl = bulk(lines);
    const jobId = await ingestFile(a, 'bulk', 'import.jsonl', jsonl, 'application/x-ndjson');
    const [victim, survivor] = await midJob(jobId, lines);
    // Followed on the survivor from before the kill: events come from the row, whoever runs the job.
    const events = jobEvents(survivor, jobId);
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = await db.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    const finished = await finishedOn(survivor, jobId);
    const seen = await events;
    expect(seen.slice(0, -1).every((e) => e.event === 'progress' && e.job.status === 'running')).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toEqual({ event: 'done', job: finished });
    expect({ status: finished.status, attempts: finished.attempts }).toEqual({ status: 'succeeded', attempts: 2 });
    const result = finished.result as NonNullable<JobView['result']>;
    // What the killed instance committed is kept (unchanged); the survivor adds the rest, one chunk a line.
    expect(result.unchanged).toBeGreaterThanOrEqual(50);
    expect({ documents: result.documents, added: result.added, chunks: result.chunks, failed: result.failed }).toEqual({
      documents: lines,
      added: lines - result.unchanged,
      chunks: lines - result.unchanged,
      failed: [],
    });

    const claims = await db.query<{ owner: string; attempts: number; expired: boolean; after_kill: boolean }>(
      `SELECT owner, attempts, old_lease < at AS expired, at > $2 AS after_kill FROM job_claims WHERE job_id = $1 ORDER BY seq`,
      [jobId, killedAt.rows[0]?.at],
    );
    expect(claims.rows.map((r) => ({ ...r, owner: instanceOf(r.owner) }))).toEqual([
      { owner: victim.name, attempts: 1, expired: null, after_kill: false },
      { owner: survivor.name, attempts: 2, expired: true, after_kill: true },
    ]);

    const prefix = await expectEveryLineOnce('bulk', jsonl, lines);
    const [line7] = await search(survivor, 'bulk', 'long import line 7', 1);
    expect(line7?.source).toBe(`${prefix}7`);
  }, 90_000);
});
