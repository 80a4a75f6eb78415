import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openStore, type Store } from '../../store/index.ts';
import { makeDocument } from './fixtures.ts';

let store: Store;
beforeEach(() => {
  store = openStore({ file: ':memory:' });
  store.collections.create({ name: 'docs' });
});
afterEach(() => store.close());

function citation(marker: number, documentId: string, quote: string) {
  return {
    marker,
    chunkId: `${documentId}-c0`,
    documentId,
    source: `${documentId}.txt`,
    title: 'T',
    page: 2,
    start: 0,
    end: 5,
    quote,
  };
}

function passage(documentId: string, text: string) {
  return { chunkId: `${documentId}-c0`, documentId, source: `${documentId}.txt`, title: 'T', text };
}

/** An answer that cites document a (secret) and b (kept), as the answer pipeline stores it. */
function answerCiting(a: string, b: string) {
  return {
    answer: 'Secret words [1] and kept words [2].',
    decision: 'answered',
    citations: [citation(1, a, 'secret words'), citation(2, b, 'kept words')],
    passages: [
      { marker: 1, passage: passage(a, 'secret words in context'), relevant: true, score: 1, kept: true },
      { marker: 2, passage: passage(b, 'kept words in context'), relevant: true, score: 1, kept: true },
    ],
    closestPassages: [passage(a, 'secret words nearby')],
    sentences: [{ text: 'Secret words [1] and kept words [2].', start: 0, end: 36, markers: [1, 2], support: 'full' }],
  };
}

function writeTwo(): { a: string; b: string } {
  const a = makeDocument('docs', 'a.txt', 'secret words');
  const b = makeDocument('docs', 'b.txt', 'kept words');
  store.documents.write(a.doc, a.chunks);
  store.documents.write(b.doc, b.chunks);
  return { a: a.doc.id, b: b.doc.id };
}

const expectedAfterDelete = (a: string, b: string) => ({
  answer: 'Secret words [1] and kept words [2].',
  decision: 'answered',
  citations: [{ marker: 1, chunkId: `${a}-c0`, documentId: a, source: null, deleted: true }, citation(2, b, 'kept words')],
  passages: [
    {
      marker: 1,
      passage: { chunkId: `${a}-c0`, documentId: a, source: null, deleted: true },
      relevant: true,
      score: 1,
      kept: true,
    },
    { marker: 2, passage: passage(b, 'kept words in context'), relevant: true, score: 1, kept: true },
  ],
  closestPassages: [{ chunkId: `${a}-c0`, documentId: a, source: null, deleted: true }],
  sentences: [{ text: 'Secret words [1] and kept words [2].', start: 0, end: 36, markers: [1, 2], support: 'full' }],
});

describe('deleting a document and stored chats', () => {
  it('keeps the answer and marks the citations and passages of the deleted document, leaving the others whole', () => {
    const { a, b } = writeTwo();
    const chat = store.chats.create({ collectionId: 'docs' });
    store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What words?', result: null });
    const message = store.chats.addMessage({
      chatId: chat.id,
      role: 'assistant',
      content: 'Secret words [1].',
      result: answerCiting(a, b),
    });
    expect(message.result).toEqual(answerCiting(a, b));

    expect(store.documents.remove(a)).toBe(true);
    const [question, answer] = store.chats.messages(chat.id);
    expect([question?.content, question?.result, answer?.content]).toEqual(['What words?', null, 'Secret words [1].']);
    expect(answer?.result).toEqual(expectedAfterDelete(a, b));
    expect(store.db.prepare('SELECT document_id FROM message_sources ORDER BY document_id').pluck().all()).toEqual([b]);
  });

  it('stores an answer that finished after its document was deleted already scrubbed', () => {
    const { a, b } = writeTwo();
    store.documents.remove(a);
    const chat = store.chats.create({ collectionId: 'docs' });
    const message = store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'Late.', result: answerCiting(a, b) });
    expect(message.result).toEqual(expectedAfterDelete(a, b));
  });

  it('finds the answers stored before migration 0003 too', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-scrub-'));
    try {
      const file = path.join(dir, 'cairn.db');
      const db = new Database(file);
      migrate(
        db,
        loadMigrations().filter((m) => m.version < 3),
      );
      const time = new Date().toISOString();
      db.prepare("INSERT INTO collections (id, name, created_at, updated_at) VALUES ('docs', 'docs', ?, ?)").run(time, time);
      db.prepare("INSERT INTO chats (id, collection_id, created_at, updated_at) VALUES ('chat_1', 'docs', ?, ?)").run(time, time);
      db.prepare(
        "INSERT INTO messages (id, chat_id, role, content, result, created_at) VALUES ('msg_1', 'chat_1', 'assistant', 'Secret words [1].', ?, ?)",
      ).run(JSON.stringify(answerCiting('doc-a', 'doc-b')), time);
      db.close();
      const old = openStore({ file });
      expect(old.db.prepare('SELECT document_id FROM message_sources ORDER BY document_id').pluck().all()).toEqual([
        'doc-a',
        'doc-b',
      ]);
      const a = makeDocument('docs', 'a.txt', 'secret words');
      old.documents.write(
        { ...a.doc, id: 'doc-a' },
        a.chunks.map((c) => ({ ...c, id: `doc-a-${c.ordinal}` })),
      );
      old.documents.remove('doc-a');
      expect(old.chats.messages('chat_1')[0]?.result).toEqual(expectedAfterDelete('doc-a', 'doc-b'));
      old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
