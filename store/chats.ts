import { CairnError, type Chat, type ChatMessage, randomId } from '../core/index.ts';
import type { Db } from './database.ts';
import { now, parseJson } from './rows.ts';

interface ChatRow {
  id: string;
  collection_id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

interface MessageRow {
  id: string;
  chat_id: string;
  role: ChatMessage['role'];
  content: string;
  result: string | null;
  created_at: string;
}

const toChat = (row: ChatRow): Chat => ({
  id: row.id,
  collectionId: row.collection_id,
  title: row.title,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  chatId: row.chat_id,
  role: row.role,
  content: row.content,
  result: parseJson<Record<string, unknown> | null>(row.result, null),
  createdAt: row.created_at,
});

export function createChatsRepo(db: Db) {
  const byId = db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE id = ?');

  function require(id: string): Chat {
    const row = byId.get(id);
    if (!row) throw new CairnError('CHAT_NOT_FOUND', `No chat with id ${id}`, { id });
    return toChat(row);
  }

  return {
    create(input: { collectionId: string; title?: string }): Chat {
      const id = randomId('chat_');
      const time = now();
      db.prepare('INSERT INTO chats (id, collection_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
        id,
        input.collectionId,
        input.title ?? '',
        time,
        time,
      );
      return require(id);
    },
    get: (id: string): Chat | null => {
      const row = byId.get(id);
      return row ? toChat(row) : null;
    },
    require,
    list: (collectionId?: string): Chat[] =>
      (collectionId
        ? db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE collection_id = ? ORDER BY updated_at DESC').all(collectionId)
        : db.prepare<[], ChatRow>('SELECT * FROM chats ORDER BY updated_at DESC').all()
      ).map(toChat),
    remove: (id: string): boolean => db.prepare('DELETE FROM chats WHERE id = ?').run(id).changes > 0,
    addMessage(input: Omit<ChatMessage, 'id' | 'createdAt'>): ChatMessage {
      const id = randomId('msg_');
      const time = now();
      db.transaction(() => {
        db.prepare('INSERT INTO messages (id, chat_id, role, content, result, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          id,
          input.chatId,
          input.role,
          input.content,
          input.result ? JSON.stringify(input.result) : null,
          time,
        );
        db.prepare("UPDATE chats SET updated_at = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?").run(
          time,
          input.role === 'user' ? input.content.slice(0, 80) : '',
          input.chatId,
        );
      })();
      return toMessage(db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow);
    },
    messages: (chatId: string): ChatMessage[] =>
      db
        .prepare<[string], MessageRow>('SELECT * FROM messages WHERE chat_id = ? ORDER BY created_at, rowid')
        .all(chatId)
        .map(toMessage),
  };
}

export type ChatsRepo = ReturnType<typeof createChatsRepo>;
