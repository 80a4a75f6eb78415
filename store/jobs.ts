import { CairnError, type Job, type JobFailure, type JobProgress, type JobStatus, randomId } from '../core/index.ts';
import type { Db } from './database.ts';
import { type JsonColumn, now, parseJson } from './rows.ts';

export interface JobRow {
  id: string;
  kind: string;
  collection_id: string | null;
  status: JobStatus;
  progress: JsonColumn;
  attempts: number;
  result: JsonColumn;
  failures: JsonColumn;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

/** Every column but the payload: what was posted is read only by the worker, through payload(). */
export const COLUMNS =
  'id, kind, collection_id, status, progress, attempts, result, failures, error, created_at, started_at, finished_at, updated_at';

export const UNFINISHED = "status IN ('queued', 'running')";

const EMPTY_PROGRESS: JobProgress = { documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 };

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    collectionId: row.collection_id,
    status: row.status,
    progress: { ...EMPTY_PROGRESS, ...parseJson<Partial<JobProgress>>(row.progress, {}) },
    attempts: row.attempts,
    result: parseJson<Record<string, unknown> | null>(row.result, null),
    failures: parseJson<JobFailure[]>(row.failures, []),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

/** What claim() found: the job now running, or one that has used up its attempts (still unfinished). */
export type Claim = { claimed: true; job: Job } | { claimed: false; job: Job | null; exhausted: boolean };

export function createJobsRepo(db: Db) {
  const byId = db.prepare<[string], JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`);

  function get(id: string): Job | null {
    const row = byId.get(id);
    return row ? toJob(row) : null;
  }

  function require(id: string): Job {
    const job = get(id);
    if (!job) throw new CairnError('JOB_NOT_FOUND', `No job with id ${id}`, { id });
    return job;
  }

  /** `hashes`: content hashes of the texts and files in the payload, so deleting their document clears them. */
  function create(input: {
    kind: string;
    collectionId?: string | null;
    payload?: Record<string, unknown>;
    hashes?: string[];
  }): Job {
    const id = randomId('job_');
    const time = now();
    db.prepare(
      "INSERT INTO jobs (id, kind, collection_id, status, payload, source_hashes, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
    ).run(
      id,
      input.kind,
      input.collectionId ?? null,
      JSON.stringify(input.payload ?? {}),
      (input.hashes ?? []).join(' '),
      time,
      time,
    );
    return require(id);
  }

  function start(id: string): Job {
    const time = now();
    db.prepare("UPDATE jobs SET status = 'running', started_at = coalesce(started_at, ?), updated_at = ? WHERE id = ?").run(
      time,
      time,
      id,
    );
    return require(id);
  }

  /**
   * Marks an unfinished job running and counts the attempt in one statement, before any of its
   * work runs: a run that kills the process has still been counted. A job already started
   * `maxAttempts` times is not claimed (exhausted).
   */
  function claim(id: string, maxAttempts: number): Claim {
    const time = now();
    const claimed = db
      .prepare(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, ?), updated_at = ?
         WHERE id = ? AND ${UNFINISHED} AND attempts < ? RETURNING id`,
      )
      .get(time, time, id, maxAttempts);
    const job = get(id);
    if (claimed && job) return { claimed: true, job };
    const exhausted = job !== null && (job.status === 'queued' || job.status === 'running') && job.attempts >= maxAttempts;
    return { claimed: false, job, exhausted };
  }

  function progress(id: string, value: JobProgress, failures?: JobFailure[]): void {
    if (failures === undefined) {
      db.prepare('UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(value), now(), id);
      return;
    }
    db.prepare('UPDATE jobs SET progress = ?, failures = ?, updated_at = ? WHERE id = ?').run(
      JSON.stringify(value),
      JSON.stringify(failures),
      now(),
      id,
    );
  }

  /** `payload` replaces what was posted (with references to what it became); without it the payload stays. */
  function finish(
    id: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'cancelled';
      result?: Record<string, unknown>;
      error?: string;
      payload?: Record<string, unknown>;
    },
  ) {
    const time = now();
    db.prepare(
      `UPDATE jobs SET status = ?, result = ?, error = ?, payload = coalesce(?, payload), source_hashes = '',
       finished_at = ?, updated_at = ? WHERE id = ?`,
    ).run(
      outcome.status,
      outcome.result ? JSON.stringify(outcome.result) : null,
      outcome.error ?? null,
      outcome.payload ? JSON.stringify(outcome.payload) : null,
      time,
      time,
      id,
    );
    return require(id);
  }

  /**
   * Puts a job interrupted by a shutdown back in the queue: the next start runs it again, and
   * the interrupted run is not counted against its attempts (it did not fail).
   */
  function requeue(id: string): Job {
    db.prepare(
      "UPDATE jobs SET status = 'queued', attempts = max(attempts - 1, 0), finished_at = NULL, updated_at = ? WHERE id = ?",
    ).run(now(), id);
    return require(id);
  }

  return {
    get,
    require,
    create,
    start,
    claim,
    progress,
    finish,
    requeue,
    /** What was posted, for the worker only: never part of a Job, a listing or an event. */
    payload: (id: string): Record<string, unknown> => {
      const row = db.prepare('SELECT payload FROM jobs WHERE id = ?').get(id) as { payload: string } | undefined;
      return parseJson<Record<string, unknown>>(row?.payload, {});
    },
    /** The payloads of unfinished jobs (what upload files are still needed). */
    unfinishedPayloads: (): Record<string, unknown>[] =>
      (db.prepare(`SELECT payload FROM jobs WHERE ${UNFINISHED}`).all() as { payload: string }[]).map((row) =>
        parseJson<Record<string, unknown>>(row.payload, {}),
      ),
    /** Keeps the error of a run that ended abnormally on the unfinished job: the last error if it is given up. */
    noteError: (id: string, message: string): void => {
      db.prepare(`UPDATE jobs SET error = ?, updated_at = ? WHERE id = ? AND ${UNFINISHED}`).run(message, now(), id);
    },
    /** Deletes finished jobs that finished before `before` (an ISO time); returns how many. */
    prune: (before: string): number =>
      db.prepare(`DELETE FROM jobs WHERE finished_at < ? AND NOT ${UNFINISHED}`).run(before).changes,
    list: (options: { status?: JobStatus; collectionId?: string; limit?: number } = {}): Job[] => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (options.status) {
        where.push('status = ?');
        params.push(options.status);
      }
      if (options.collectionId) {
        where.push('collection_id = ?');
        params.push(options.collectionId);
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      return db
        .prepare<unknown[], JobRow>(`SELECT ${COLUMNS} FROM jobs ${clause} ORDER BY created_at DESC LIMIT ?`)
        .all(...params, options.limit ?? 100)
        .map(toJob);
    },
    /** Jobs that were queued or running when the process stopped: a restart runs them again. */
    unfinished: (): Job[] =>
      db.prepare<[], JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE ${UNFINISHED} ORDER BY created_at`).all().map(toJob),
    queueDepth: (): number => (db.prepare(`SELECT count(*) AS n FROM jobs WHERE ${UNFINISHED}`).get() as { n: number }).n,
  };
}

export type JobsRepo = ReturnType<typeof createJobsRepo>;
