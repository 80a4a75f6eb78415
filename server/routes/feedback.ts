import { Hono } from 'hono';
import { CairnError, type ChatMessage } from '../../core/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { param, parseJsonBody } from '../validate.ts';
import { feedbackSchema } from '../webapi-schemas.ts';

export const feedbackDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/chats/{id}/turns/{n}/feedback',
    summary:
      'Rate an answer up or down, with an optional comment. `n` is the index (from 0) of an assistant message in `messages` of `GET /v1/chats/{id}`; a new rating replaces the old. The chat then shows it on that message as `feedback: {rating, comment, at}`',
    tag: 'Chats',
    body: feedbackSchema,
    scope: 'read (embed keys: their visitor’s chats only)',
    responses: {
      200: '`{feedback: {rating, comment, at}}`',
      400: '`n` is not a whole number, or names a question, not an answer',
      404: 'No such chat, or no message `n` in it',
    },
  },
];

function turnOf(messages: ChatMessage[], raw: string): ChatMessage {
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n))
    throw new CairnError('VALIDATION', `The turn must be a whole number from 0, not "${raw}"`, { n: raw });
  const message = messages[n];
  if (!message) throw new CairnError('NOT_FOUND', `The chat has no message ${n} (it has ${messages.length})`, { n });
  if (message.role !== 'assistant') {
    throw new CairnError('VALIDATION', `Message ${n} is a ${message.role} message: only answers are rated`, {
      n,
      role: message.role,
    });
  }
  return message;
}

/** Feedback on answers; the embed guard admits an embed key here only for its visitor's chats. */
export function createFeedbackRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post('/:id/turns/:n/feedback', async (c) => {
    const chat = await deps.store.chats.require(param(c, 'id'));
    requireScope(c, chat.collectionId, 'read');
    const body = await parseJsonBody(c, feedbackSchema);
    const message = turnOf(await deps.store.chats.messages(chat.id), param(c, 'n'));
    const given = await deps.store.feedback.give({
      chatId: chat.id,
      messageId: message.id,
      rating: body.rating,
      comment: body.comment ?? null,
    });
    return c.json({ feedback: given });
  });
}
