import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { listChatsQuery, updateChatSchema } from '../schemas.ts';
import { param, parseJsonBody, parseQuery } from '../validate.ts';

export const chatDocs: RouteDoc[] = [
  { method: 'get', path: '/v1/chats', summary: 'Chats, newest first', tag: 'Chats', query: listChatsQuery, scope: 'read' },
  {
    method: 'get',
    path: '/v1/chats/{id}',
    summary: 'A chat with its messages; each carries `feedback` ({rating, comment, at} once rated, else null)',
    tag: 'Chats',
    scope: 'read',
  },
  {
    method: 'patch',
    path: '/v1/chats/{id}',
    summary: 'Rename a chat (`{title}`); embed keys may not',
    tag: 'Chats',
    body: updateChatSchema,
    scope: 'write',
    responses: { 200: 'The renamed chat', 404: 'No such chat' },
  },
  { method: 'delete', path: '/v1/chats/{id}', summary: 'Delete a chat', tag: 'Chats', scope: 'write' },
];

export function createChatRoutes(deps: AppDeps) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const query = parseQuery(c, listChatsQuery);
      if (query.collection) requireScope(c, query.collection, 'read');
      const principal = c.get('principal');
      const chats = (await store.chats.list(query.collection)).filter((chat) => hasScope(principal, chat.collectionId, 'read'));
      return c.json({ chats });
    })
    .get('/:id', async (c) => {
      const chat = await store.chats.require(param(c, 'id'));
      requireScope(c, chat.collectionId, 'read');
      const rated = await store.feedback.byMessage(chat.id);
      const messages = (await store.chats.messages(chat.id)).map((m) => ({ ...m, feedback: rated.get(m.id) ?? null }));
      return c.json({ ...chat, messages });
    })
    .patch('/:id', async (c) => {
      const chat = await store.chats.require(param(c, 'id'));
      requireScope(c, chat.collectionId, 'write');
      const body = await parseJsonBody(c, updateChatSchema);
      return c.json(await store.chats.rename(chat.id, body.title));
    })
    .delete('/:id', async (c) => {
      const chat = await store.chats.require(param(c, 'id'));
      requireScope(c, chat.collectionId, 'write');
      await store.chats.remove(chat.id);
      return c.json({ deleted: true, id: chat.id });
    });
}
