import type pg from 'pg';
import type { Async } from '../contract.ts';
import type { FeedbackRepo, MessageFeedback } from '../feedback.ts';
import { many, now } from './pool.ts';

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
