import type pg from 'pg';
import type { Async } from '../contract.ts';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyRepo } from '../idempotency.ts';
import { inTransaction, one } from './pool.ts';

export function createPgIdempotencyRepo(pool: pg.Pool, clock: () => number = Date.now): Async<IdempotencyRepo> {
  const cutoff = () => new Date(clock() - IDEMPOTENCY_TTL_MS).toISOString();
  return {
    /** The live record of `key` for `owner`, or null when unused or older than 24 h. */
    find: async (owner: string, key: string): Promise<IdempotencyRecord | null> => {
      const row = await one<{ scope: string; job_id: string; created_at: string }>(
        pool,
        'SELECT scope, job_id, created_at FROM idempotency_keys WHERE owner = $1 AND key = $2 AND created_at > $3',
        [owner, key, cutoff()],
      );
      return row ? { scope: row.scope, jobId: row.job_id, createdAt: row.created_at } : null;
    },
    /** Records the job a key started (replacing an expired record), and drops expired keys. */
    remember: async (owner: string, key: string, scope: string, jobId: string): Promise<void> => {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM idempotency_keys WHERE created_at <= $1', [cutoff()]);
        await client.query(
          `INSERT INTO idempotency_keys (owner, key, scope, job_id, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (owner, key) DO UPDATE SET scope = excluded.scope, job_id = excluded.job_id, created_at = excluded.created_at`,
          [owner, key, scope, jobId, new Date(clock()).toISOString()],
        );
      });
    },
    /** Takes the key for a request about to start its job (see the SQLite repo); one concurrent caller wins. */
    reserve: async (owner: string, key: string, scope: string): Promise<boolean> =>
      inTransaction(pool, async (client) => {
        await client.query('DELETE FROM idempotency_keys WHERE created_at <= $1', [cutoff()]);
        const { rowCount } = await client.query(
          `INSERT INTO idempotency_keys (owner, key, scope, job_id, created_at) VALUES ($1, $2, $3, '', $4)
           ON CONFLICT (owner, key) DO NOTHING`,
          [owner, key, scope, new Date(clock()).toISOString()],
        );
        return (rowCount ?? 0) > 0;
      }),
    forget: async (owner: string, key: string): Promise<void> => {
      await pool.query('DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2', [owner, key]);
    },
  };
}
