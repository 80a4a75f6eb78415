import type pg from 'pg';
import { CairnError, type Chat, type ChatMessage, randomId } from '../../core/index.ts';
import { type ChatRow, type ChatsRepo, citedDocuments, type MessageRow, scrubResult, toChat, toMessage } from '../chats.ts';
import type { Async } from '../contract.ts';
import { changes, inTransaction, json, many, now, one, pgText, type Queryable } from './pool.ts';

const MESSAGE_COLUMNS = 'id, chat_id, role, content, result, created_at';

/** Removes a deleted document's text from every stored answer that cited it (inside the caller's transaction). */
export async function scrubDocumentFromChatsPg(client: Queryable, documentId: string): Promise<number> {
  const rows = await many<{ id: string; result: Record<string, unknown> | null }>(
    client,
    `SELECT m.id, m.result FROM message_sources s JOIN messages m ON m.id = s.message_id WHERE s.document_id = $1 FOR UPDATE OF m`,
    [documentId],
  );
  for (const row of rows) {
    const result = row.result && typeof row.result === 'object' ? scrubResult(row.result, documentId) : null;
    await client.query('UPDATE messages SET result = $1::jsonb WHERE id = $2', [result ? json(result) : null, row.id]);
  }
  await client.query('DELETE FROM message_sources WHERE document_id = $1', [documentId]);
  return rows.length;
}

/**
 * An answer that finished after one of its documents was deleted is stored already scrubbed. The
 * cited documents still there are share-locked until commit, so a delete running at the same time
 * either finishes first (and is scrubbed here) or waits and then finds this message's sources.
 */
async function withoutDeleted(client: Queryable, result: Record<string, unknown> | null) {
  const cited = [...citedDocuments(result)];
  const existing = new Set(
    (await many<{ id: string }>(client, 'SELECT id FROM documents WHERE id = ANY($1::text[]) FOR SHARE', [cited])).map(
      (r) => r.id,
    ),
  );
  let out = result;
  for (const documentId of cited) if (out && !existing.has(documentId)) out = scrubResult(out, documentId);
  return { result: out, cited: cited.filter((documentId) => existing.has(documentId)) };
}

export function createPgChatsRepo(pool: pg.Pool): Async<ChatsRepo> {
  const get = async (id: string): Promise<Chat | null> => {
    const row = await one<ChatRow>(pool, 'SELECT * FROM chats WHERE id = $1', [id]);
    return row ? toChat(row) : null;
  };
  const require = async (id: string): Promise<Chat> => {
    const chat = await get(id);
    if (!chat) throw new CairnError('CHAT_NOT_FOUND', `No chat with id ${id}`, { id });
    return chat;
  };

  async function addMessage(input: Omit<ChatMessage, 'id' | 'createdAt'>): Promise<ChatMessage> {
    const id = randomId('msg_');
    const time = now();
    return inTransaction(pool, async (client) => {
      const { result, cited } = await withoutDeleted(client, input.result);
      const row = await one<MessageRow>(
        client,
        `INSERT INTO messages (id, chat_id, role, content, result, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
         RETURNING ${MESSAGE_COLUMNS}`,
        [id, input.chatId, input.role, pgText(input.content), result ? json(result) : null, time],
      );
      await client.query(
        'INSERT INTO message_sources (document_id, message_id) SELECT d, $2 FROM unnest($1::text[]) AS d ON CONFLICT DO NOTHING',
        [cited, id],
      );
      await client.query("UPDATE chats SET updated_at = $1, title = CASE WHEN title = '' THEN $2 ELSE title END WHERE id = $3", [
        time,
        input.role === 'user' ? pgText(input.content.slice(0, 80)) : '',
        input.chatId,
      ]);
      return toMessage(row as MessageRow);
    });
  }

  return {
    async create(input: { collectionId: string; title?: string }): Promise<Chat> {
      const time = now();
      const row = await one<ChatRow>(
        pool,
        'INSERT INTO chats (id, collection_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *',
        [randomId('chat_'), input.collectionId, input.title ?? '', time],
      );
      return toChat(row as ChatRow);
    },
    get,
    require,
    list: async (collectionId?: string): Promise<Chat[]> =>
      (collectionId
        ? await many<ChatRow>(pool, 'SELECT * FROM chats WHERE collection_id = $1 ORDER BY updated_at DESC', [collectionId])
        : await many<ChatRow>(pool, 'SELECT * FROM chats ORDER BY updated_at DESC')
      ).map(toChat),
    remove: async (id: string): Promise<boolean> => (await changes(pool, 'DELETE FROM chats WHERE id = $1', [id])) > 0,
    /** Renames a chat; updated_at stays, so renaming does not reorder the history. */
    async rename(id: string, title: string): Promise<Chat> {
      const row = await one<ChatRow>(pool, 'UPDATE chats SET title = $1 WHERE id = $2 RETURNING *', [title, id]);
      if (!row) throw new CairnError('CHAT_NOT_FOUND', `No chat with id ${id}`, { id });
      return toChat(row);
    },
    addMessage,
    messages: async (chatId: string): Promise<ChatMessage[]> =>
      (
        await many<MessageRow>(pool, `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 ORDER BY created_at, seq`, [
          chatId,
        ])
      ).map(toMessage),
  };
}
