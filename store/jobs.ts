import { CairnError, type Job, type JobFailure, type JobProgress, type JobStatus, randomId } from '../core/index.ts';
import type { Db } from './database.ts';
import { now, parseJson } from './rows.ts';

interface JobRow {
  id: string;
  kind: string;
  collection_id: string | null;
  status: JobStatus;
  progress: string;
  payload: string;
  result: string | null;
  failures: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

const EMPTY_PROGRESS: JobProgress = { documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 };

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    collectionId: row.collection_id,
    status: row.status,
    progress: { ...EMPTY_PROGRESS, ...parseJson<Partial<JobProgress>>(row.progress, {}) },
    payload: parseJson<Record<string, unknown>>(row.payload, {}),
    result: parseJson<Record<string, unknown> | null>(row.result, null),
    failures: parseJson<JobFailure[]>(row.failures, []),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

export function createJobsRepo(db: Db) {
  const byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');

  function get(id: string): Job | null {
    const row = byId.get(id);
    return row ? toJob(row) : null;
  }

  function require(id: string): Job {
    const job = get(id);
    if (!job) throw new CairnError('JOB_NOT_FOUND', `No job with id ${id}`, { id });
    return job;
  }

  function create(input: { kind: string; collectionId?: string | null; payload?: Record<string, unknown> }): Job {
    const id = randomId('job_');
    const time = now();
    db.prepare(
      "INSERT INTO jobs (id, kind, collection_id, status, payload, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
    ).run(id, input.kind, input.collectionId ?? null, JSON.stringify(input.payload ?? {}), time, time);
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

  function finish(
    id: string,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; result?: Record<string, unknown>; error?: string },
  ) {
    const time = now();
    db.prepare('UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ?').run(
      outcome.status,
      outcome.result ? JSON.stringify(outcome.result) : null,
      outcome.error ?? null,
      time,
      time,
      id,
    );
    return require(id);
  }

  /** Puts an interrupted job back in the queue (server shutdown): the next start runs it again. */
  function requeue(id: string): Job {
    db.prepare("UPDATE jobs SET status = 'queued', finished_at = NULL, updated_at = ? WHERE id = ?").run(now(), id);
    return require(id);
  }

  return {
    get,
    require,
    create,
    start,
    progress,
    finish,
    requeue,
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
        .prepare<unknown[], JobRow>(`SELECT * FROM jobs ${clause} ORDER BY created_at DESC LIMIT ?`)
        .all(...params, options.limit ?? 100)
        .map(toJob);
    },
    /** Jobs that were queued or running when the process stopped: a restart runs them again. */
    unfinished: (): Job[] =>
      db.prepare<[], JobRow>("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at").all().map(toJob),
    queueDepth: (): number =>
      (db.prepare("SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running')").get() as { n: number }).n,
  };
}

export type JobsRepo = ReturnType<typeof createJobsRepo>;
