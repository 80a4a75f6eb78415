import type pg from 'pg';
import type { Async } from '../contract.ts';
import type { FeedbackRepo, MessageFeedback } from '../feedback.ts';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRecord, type IdempotencyRepo } from '../idempotency.ts';
import { inTransaction, many, now, one } from './pool.ts';

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
    forget: async (owner: string, key: string): Promise<void> => {
      await pool.query('DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2', [owner, key]);
    },
  };
}

interface FeedbackRow {
  message_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  created_at: string;
}

/** Ratings of answers, one per assistant message; a chat's go with it (ON DELETE CASCADE). */
export function createPgFeedbackRepo(pool: pg.Pool): Async<FeedbackRepo> {
  return {
    give: async (input: { chatId: string; messageId: string; rating: 'up' | 'down'; comment?: string | null }) => {
      const at = now();
      await pool.query(
        `INSERT INTO message_feedback (message_id, chat_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at`,
        [input.messageId, input.chatId, input.rating, input.comment ?? null, at],
      );
      return { rating: input.rating, comment: input.comment ?? null, at };
    },
    byMessage: async (chatId: string) => {
      const rows = await many<FeedbackRow>(
        pool,
        'SELECT message_id, rating, comment, created_at FROM message_feedback WHERE chat_id = $1',
        [chatId],
      );
      return new Map<string, MessageFeedback>(
        rows.map((row) => [row.message_id, { rating: row.rating, comment: row.comment, at: row.created_at }]),
      );
    },
  };
}
