import type pg from 'pg';
import { CairnError, type Job, type JobFailure, type JobProgress, type JobStatus, randomId } from '../../core/index.ts';
import type { Async } from '../contract.ts';
import { type Claim, COLUMNS, type JobRow, type JobsRepo, toJob, UNFINISHED } from '../jobs.ts';
import { changes, json, many, now, one } from './pool.ts';

/** Jobs claimed with a lease, for several instances sharing one queue (PostgreSQL only). */
export interface JobLeases {
  /**
   * Claims the oldest job that is queued, or running under a lease that expired (its instance
   * stopped heart-beating), for `owner` until `leaseMs` from now. Concurrent claimers skip rows
   * another one has locked, so each job goes to one of them. A job found with its attempts used
   * up is returned unclaimed (`exhausted`) under the caller's lease, for the caller to give up.
   * Null when nothing is waiting.
   */
  claimNext(owner: string, leaseMs: number, maxAttempts: number): Promise<Claim | null>;
  /** Extends the lease; false when `owner` no longer holds the job (taken over, or finished). */
  heartbeat(id: string, owner: string, leaseMs: number): Promise<boolean>;
}

export type PgJobsRepo = Async<JobsRepo> & JobLeases;

const CLAIM_NEXT = `
  WITH next AS (
    SELECT id, attempts < $3 AS claimable FROM jobs
    WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
    ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
  )
  UPDATE jobs j SET owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
    status = CASE WHEN next.claimable THEN 'running' ELSE j.status END,
    attempts = CASE WHEN next.claimable THEN j.attempts + 1 ELSE j.attempts END,
    started_at = CASE WHEN next.claimable THEN coalesce(j.started_at, $4) ELSE j.started_at END,
    updated_at = $4
  FROM next WHERE j.id = next.id
  RETURNING next.claimable, ${COLUMNS.split(', ')
    .map((c) => `j.${c}`)
    .join(', ')}`;

export function createPgJobsRepo(pool: pg.Pool): PgJobsRepo {
  async function get(id: string): Promise<Job | null> {
    const row = await one<JobRow>(pool, `SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return row ? toJob(row) : null;
  }

  async function require(id: string): Promise<Job> {
    const job = await get(id);
    if (!job) throw new CairnError('JOB_NOT_FOUND', `No job with id ${id}`, { id });
    return job;
  }

  /** Runs an UPDATE … RETURNING the job's columns; a missing job is JOB_NOT_FOUND, as require() says. */
  async function updateReturning(id: string, sql: string, params: unknown[]): Promise<Job> {
    const row = await one<JobRow>(pool, `${sql} RETURNING ${COLUMNS}`, params);
    if (!row) throw new CairnError('JOB_NOT_FOUND', `No job with id ${id}`, { id });
    return toJob(row);
  }

  async function create(input: {
    kind: string;
    collectionId?: string | null;
    payload?: Record<string, unknown>;
    hashes?: string[];
  }): Promise<Job> {
    const id = randomId('job_');
    const time = now();
    return updateReturning(
      id,
      `INSERT INTO jobs (id, kind, collection_id, status, payload, source_hashes, created_at, updated_at)
       VALUES ($1, $2, $3, 'queued', $4::jsonb, $5, $6, $6)`,
      [id, input.kind, input.collectionId ?? null, json(input.payload ?? {}), (input.hashes ?? []).join(' '), time],
    );
  }

  /**
   * As on SQLite: marks an unfinished job running and counts the attempt in one statement. A job
   * another instance holds under a live lease is not taken (claimed: false).
   */
  async function claim(id: string, maxAttempts: number): Promise<Claim> {
    const time = now();
    const claimed = await one<JobRow>(
      pool,
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, $1), updated_at = $1,
         owner = NULL, lease_expires_at = NULL
       WHERE id = $2 AND ${UNFINISHED} AND attempts < $3 AND (lease_expires_at IS NULL OR lease_expires_at < now())
       RETURNING ${COLUMNS}`,
      [time, id, maxAttempts],
    );
    if (claimed) return { claimed: true, job: toJob(claimed) };
    const job = await get(id);
    const exhausted = job !== null && (job.status === 'queued' || job.status === 'running') && job.attempts >= maxAttempts;
    return { claimed: false, job, exhausted };
  }

  async function claimNext(owner: string, leaseMs: number, maxAttempts: number): Promise<Claim | null> {
    const row = await one<JobRow & { claimable: boolean }>(pool, CLAIM_NEXT, [owner, leaseMs, maxAttempts, now()]);
    if (!row) return null;
    const job = toJob(row);
    return row.claimable ? { claimed: true, job } : { claimed: false, job, exhausted: true };
  }

  async function progress(id: string, value: JobProgress, failures?: JobFailure[]): Promise<void> {
    if (failures === undefined) {
      await pool.query('UPDATE jobs SET progress = $1::jsonb, updated_at = $2 WHERE id = $3', [json(value), now(), id]);
      return;
    }
    await pool.query('UPDATE jobs SET progress = $1::jsonb, failures = $2::jsonb, updated_at = $3 WHERE id = $4', [
      json(value),
      json(failures),
      now(),
      id,
    ]);
  }

  /** `payload` replaces what was posted (with references to what it became); without it the payload stays. */
  async function finish(
    id: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'cancelled';
      result?: Record<string, unknown>;
      error?: string;
      payload?: Record<string, unknown>;
    },
  ): Promise<Job> {
    const time = now();
    return updateReturning(
      id,
      `UPDATE jobs SET status = $1, result = $2::jsonb, error = $3, payload = coalesce($4::jsonb, payload), source_hashes = '',
         finished_at = $5, updated_at = $5, owner = NULL, lease_expires_at = NULL WHERE id = $6`,
      [
        outcome.status,
        outcome.result ? json(outcome.result) : null,
        outcome.error ?? null,
        outcome.payload ? json(outcome.payload) : null,
        time,
        id,
      ],
    );
  }

  return {
    get,
    require,
    create,
    start: async (id: string) => {
      const time = now();
      return updateReturning(
        id,
        "UPDATE jobs SET status = 'running', started_at = coalesce(started_at, $1), updated_at = $1 WHERE id = $2",
        [time, id],
      );
    },
    claim,
    claimNext,
    heartbeat: async (id: string, owner: string, leaseMs: number) =>
      (await changes(
        pool,
        `UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 millisecond'
         WHERE id = $1 AND owner = $2 AND ${UNFINISHED}`,
        [id, owner, leaseMs],
      )) > 0,
    progress,
    finish,
    /** Puts a job interrupted by a shutdown back in the queue, not counting the interrupted run. */
    requeue: (id: string) =>
      updateReturning(
        id,
        `UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), finished_at = NULL, updated_at = $1,
           owner = NULL, lease_expires_at = NULL WHERE id = $2`,
        [now(), id],
      ),
    payload: async (id: string) =>
      (await one<{ payload: Record<string, unknown> }>(pool, 'SELECT payload FROM jobs WHERE id = $1', [id]))?.payload ?? {},
    unfinishedPayloads: async () =>
      (await many<{ payload: Record<string, unknown> }>(pool, `SELECT payload FROM jobs WHERE ${UNFINISHED}`)).map(
        (r) => r.payload,
      ),
    noteError: async (id: string, message: string) => {
      await pool.query(`UPDATE jobs SET error = $1, updated_at = $2 WHERE id = $3 AND ${UNFINISHED}`, [message, now(), id]);
    },
    prune: (before: string) => changes(pool, `DELETE FROM jobs WHERE finished_at < $1 AND NOT ${UNFINISHED}`, [before]),
    list: async (options: { status?: JobStatus; collectionId?: string; limit?: number } = {}) => {
      const params: unknown[] = [];
      const where: string[] = [];
      if (options.status) where.push(`status = $${params.push(options.status)}`);
      if (options.collectionId) where.push(`collection_id = $${params.push(options.collectionId)}`);
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const limit = `$${params.push(options.limit ?? 100)}`;
      return (
        await many<JobRow>(pool, `SELECT ${COLUMNS} FROM jobs ${clause} ORDER BY created_at DESC LIMIT ${limit}`, params)
      ).map(toJob);
    },
    unfinished: async () =>
      (await many<JobRow>(pool, `SELECT ${COLUMNS} FROM jobs WHERE ${UNFINISHED} ORDER BY created_at`)).map(toJob),
    queueDepth: async () => (await one<{ n: number }>(pool, `SELECT count(*) AS n FROM jobs WHERE ${UNFINISHED}`))?.n ?? 0,
  };
}
