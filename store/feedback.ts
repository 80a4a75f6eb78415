import type { Db } from './database.ts';
import { now } from './rows.ts';

export interface MessageFeedback {
  rating: 'up' | 'down';
  comment: string | null;
  at: string;
}

interface FeedbackRow {
  message_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  created_at: string;
}

/** Ratings of answers, one per assistant message; a chat's go with it (ON DELETE CASCADE). */
export function createFeedbackRepo(db: Db) {
  const upsert = db.prepare(
    `INSERT INTO message_feedback (message_id, chat_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at`,
  );
  const ofChat = db.prepare<[string], FeedbackRow>(
    'SELECT message_id, rating, comment, created_at FROM message_feedback WHERE chat_id = ?',
  );
  const toFeedback = (row: FeedbackRow): MessageFeedback => ({ rating: row.rating, comment: row.comment, at: row.created_at });
  return {
    /** Records (or replaces) the rating of one message of a chat. */
    give(input: { chatId: string; messageId: string; rating: 'up' | 'down'; comment?: string | null }): MessageFeedback {
      const at = now();
      upsert.run(input.messageId, input.chatId, input.rating, input.comment ?? null, at);
      return { rating: input.rating, comment: input.comment ?? null, at };
    },
    /** The chat's ratings by message id. */
    byMessage(chatId: string): Map<string, MessageFeedback> {
      return new Map(ofChat.all(chatId).map((row) => [row.message_id, toFeedback(row)]));
    },
  };
}

export type FeedbackRepo = ReturnType<typeof createFeedbackRepo>;
