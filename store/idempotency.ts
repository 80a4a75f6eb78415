import type { Db } from './database.ts';

/** The first use of an Idempotency-Key: what it was used for and the job it started. */
export interface IdempotencyRecord {
  scope: string;
  jobId: string;
  createdAt: string;
}

interface IdempotencyRow {
  scope: string;
  job_id: string;
  created_at: string;
}

/** How long a key names its job: a retry later than this is a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export function createIdempotencyRepo(db: Db, clock: () => number = Date.now) {
  const cutoff = () => new Date(clock() - IDEMPOTENCY_TTL_MS).toISOString();
  return {
    /** The live record of `key` for `owner`, or null when unused or older than 24 h. */
    find(owner: string, key: string): IdempotencyRecord | null {
      const row = db
        .prepare<[string, string, string], IdempotencyRow>(
          'SELECT scope, job_id, created_at FROM idempotency_keys WHERE owner = ? AND key = ? AND created_at > ?',
        )
        .get(owner, key, cutoff());
      return row ? { scope: row.scope, jobId: row.job_id, createdAt: row.created_at } : null;
    },
    /** Records the job a key started (replacing an expired record), and drops expired keys. */
    remember(owner: string, key: string, scope: string, jobId: string): void {
      db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?').run(cutoff());
      db.prepare('INSERT OR REPLACE INTO idempotency_keys (owner, key, scope, job_id, created_at) VALUES (?, ?, ?, ?, ?)').run(
        owner,
        key,
        scope,
        jobId,
        new Date(clock()).toISOString(),
      );
    },
    /**
     * Takes the key for a request about to start its job: true when this caller holds it now (the
     * record waits with no job until `remember`), false when another request has it (live).
     * Concurrent requests with one key race here, in one statement, and exactly one wins.
     */
    reserve(owner: string, key: string, scope: string): boolean {
      db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?').run(cutoff());
      return (
        db
          .prepare("INSERT OR IGNORE INTO idempotency_keys (owner, key, scope, job_id, created_at) VALUES (?, ?, ?, '', ?)")
          .run(owner, key, scope, new Date(clock()).toISOString()).changes > 0
      );
    },
    forget(owner: string, key: string): void {
      db.prepare('DELETE FROM idempotency_keys WHERE owner = ? AND key = ?').run(owner, key);
    },
  };
}

export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
