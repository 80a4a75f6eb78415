import { CairnError, type Chat, type ChatMessage, randomId } from '../core/index.ts';
import type { Db } from './database.ts';
import { type JsonColumn, now, parseJson } from './rows.ts';

export interface ChatRow {
  id: string;
  collection_id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface MessageRow {
  id: string;
  chat_id: string;
  role: ChatMessage['role'];
  content: string;
  result: JsonColumn;
  created_at: string;
}

export const toChat = (row: ChatRow): Chat => ({
  id: row.id,
  collectionId: row.collection_id,
  title: row.title,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  chatId: row.chat_id,
  role: row.role,
  content: row.content,
  result: parseJson<Record<string, unknown> | null>(row.result, null),
  createdAt: row.created_at,
});

/** Documents a stored answer cites or quotes: its citations, graded passages and closest passages. */
export function citedDocuments(result: Record<string, unknown> | null): Set<string> {
  const ids = new Set<string>();
  if (!result) return ids;
  const add = (value: unknown) => {
    if (typeof value === 'string') ids.add(value);
  };
  for (const c of listOf(result.citations)) add(c.documentId);
  for (const p of listOf(result.passages)) add((p.passage as Record<string, unknown> | undefined)?.documentId);
  for (const p of listOf(result.closestPassages)) add(p.documentId);
  return ids;
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : [];
}

/** What is left of a citation or passage of a deleted document: which one it was, and that it is gone. */
function tombstone(item: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(typeof item.marker === 'number' ? { marker: item.marker } : {}),
    chunkId: item.chunkId ?? null,
    documentId: item.documentId,
    source: null,
    deleted: true,
  };
}

/**
 * The answer keeps its text; every citation and passage of the deleted document loses its quote,
 * text, title and source and says `deleted: true`.
 */
export function scrubResult(result: Record<string, unknown>, documentId: string): Record<string, unknown> {
  const gone = (item: Record<string, unknown> | undefined) => item?.documentId === documentId;
  const out = { ...result };
  if (Array.isArray(result.citations)) out.citations = listOf(result.citations).map((c) => (gone(c) ? tombstone(c) : c));
  if (Array.isArray(result.closestPassages))
    out.closestPassages = listOf(result.closestPassages).map((p) => (gone(p) ? tombstone(p) : p));
  if (Array.isArray(result.passages)) {
    out.passages = listOf(result.passages).map((g) => {
      const passage = g.passage as Record<string, unknown> | undefined;
      return gone(passage) ? { ...g, passage: tombstone(passage as Record<string, unknown>) } : g;
    });
  }
  return out;
}

function readResult(text: string | null): Record<string, unknown> | null {
  try {
    return parseJson<Record<string, unknown> | null>(text, null);
  } catch {
    return null;
  }
}

/** Removes a deleted document's text from every stored answer that cited it (inside the caller's transaction). */
export function scrubDocumentFromChats(db: Db, documentId: string): number {
  const rows = db
    .prepare<[string], { id: string; result: string | null }>(
      'SELECT m.id, m.result FROM message_sources s JOIN messages m ON m.id = s.message_id WHERE s.document_id = ?',
    )
    .all(documentId);
  const update = db.prepare('UPDATE messages SET result = ? WHERE id = ?');
  for (const row of rows) {
    const result = readResult(row.result);
    // A result that cannot be read cannot be scrubbed selectively: it goes whole.
    update.run(result ? JSON.stringify(scrubResult(result, documentId)) : null, row.id);
  }
  db.prepare('DELETE FROM message_sources WHERE document_id = ?').run(documentId);
  return rows.length;
}

export function createChatsRepo(db: Db) {
  const byId = db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE id = ?');

  const documentExists = db.prepare<[string], number>('SELECT 1 FROM documents WHERE id = ?').pluck();

  /** An answer that finished after one of its documents was deleted is stored already scrubbed. */
  function withoutDeleted(result: Record<string, unknown> | null) {
    let out = result;
    const cited = [...citedDocuments(result)];
    for (const documentId of cited) {
      if (out && documentExists.get(documentId) === undefined) out = scrubResult(out, documentId);
    }
    return { result: out, cited: cited.filter((documentId) => documentExists.get(documentId) !== undefined) };
  }

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
    /** Renames a chat; updated_at stays, so renaming does not reorder the history. */
    rename(id: string, title: string): Chat {
      db.prepare('UPDATE chats SET title = ? WHERE id = ?').run(title, require(id).id);
      return require(id);
    },
    addMessage(input: Omit<ChatMessage, 'id' | 'createdAt'>): ChatMessage {
      const id = randomId('msg_');
      const time = now();
      db.transaction(() => {
        const { result, cited } = withoutDeleted(input.result);
        db.prepare('INSERT INTO messages (id, chat_id, role, content, result, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          id,
          input.chatId,
          input.role,
          input.content,
          result ? JSON.stringify(result) : null,
          time,
        );
        const source = db.prepare('INSERT OR IGNORE INTO message_sources (document_id, message_id) VALUES (?, ?)');
        for (const documentId of cited) source.run(documentId, id);
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
