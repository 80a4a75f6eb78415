import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { lexicalMatches, makeDocument, unitVectors } from './fixtures.ts';

let store: Store;
beforeEach(() => {
  store = openStore({ file: ':memory:' });
  store.collections.create({ name: 'docs' });
});
afterEach(() => store.close());

function count(table: string): number {
  return (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

describe('documents and chunks', () => {
  it('writes a document with chunks, search fields and vectors in one go', () => {
    const { doc, chunks } = makeDocument('docs', 'a.txt', 'alpha bravo\n\ncharlie delta');
    const result = store.documents.write(doc, chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(2) });
    expect(result.replaced).toBe(false);
    expect(result.document.chunkCount).toBe(2);
    expect(result.document.status).toBe('ready');
    expect(store.chunks.byDocument(doc.id).map((c) => doc.text.slice(c.start, c.end))).toEqual(['alpha bravo', 'charlie delta']);
    expect(lexicalMatches(store, 'charlie')).toEqual([result.chunkRowids[1]]);
    expect(store.vectors.count('docs', 'm')).toBe(2);
  });

  it('marks a document written without vectors as pending', () => {
    const { doc, chunks } = makeDocument('docs', 'a.txt', 'one\n\ntwo');
    expect(store.documents.write(doc, chunks).document.status).toBe('pending_vectors');
    expect(store.chunks.pendingForModel('docs', 'm').map((c) => c.text)).toEqual(['one', 'two']);
  });

  it('replacing a document swaps its chunks, search fields and vectors atomically', () => {
    const first = makeDocument('docs', 'a.txt', 'old words\n\nstale text');
    store.documents.write(first.doc, first.chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(2) });
    const second = makeDocument('docs', 'a.txt', 'fresh words');
    const result = store.documents.write(second.doc, second.chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(1) });
    expect(result.replaced).toBe(true);
    expect(lexicalMatches(store, 'stale')).toEqual([]);
    expect(lexicalMatches(store, 'fresh')).toEqual(result.chunkRowids);
    expect(count('chunks')).toBe(1);
    expect(count('vectors')).toBe(1);
  });

  it('a failing write leaves nothing half-written', () => {
    const first = makeDocument('docs', 'a.txt', 'keep me');
    store.documents.write(first.doc, first.chunks);
    const second = makeDocument('docs', 'a.txt', 'new one\n\nnew two');
    expect(() =>
      store.documents.write(second.doc, second.chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(1) }),
    ).toThrow('Got 1 vectors for 2 chunks');
    expect(store.chunks.byDocument(first.doc.id).map((c) => c.text)).toEqual(['keep me']);
    expect(lexicalMatches(store, 'keep')).toHaveLength(1);
    expect(lexicalMatches(store, 'new')).toEqual([]);
  });

  it('deleting a document deletes its chunks, search fields and vectors, and logs the vector removals', () => {
    const { doc, chunks } = makeDocument('docs', 'a.txt', 'alpha\n\nbravo');
    const { chunkRowids } = store.documents.write(doc, chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(2) });
    expect(store.documents.remove(doc.id)).toBe(true);
    expect([count('documents'), count('chunks'), count('vectors')]).toEqual([0, 0, 0]);
    expect([...lexicalMatches(store, 'alpha'), ...lexicalMatches(store, 'bravo')]).toEqual([]);
    expect(store.vectors.changesSince('docs', 'm', 0).map((c) => [c.rowid, c.op])).toEqual([
      [chunkRowids[0], 'add'],
      [chunkRowids[1], 'add'],
      [chunkRowids[0], 'remove'],
      [chunkRowids[1], 'remove'],
    ]);
  });

  it('deleting a collection cascades to documents, chunks, vectors, search fields and chats', () => {
    const { doc, chunks } = makeDocument('docs', 'a.txt', 'alpha\n\nbravo');
    store.documents.write(doc, chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(2) });
    const chat = store.chats.create({ collectionId: 'docs' });
    store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'hi', result: null });
    expect(store.collections.remove('docs')).toBe(true);
    expect([count('documents'), count('chunks'), count('vectors'), count('chats'), count('messages')]).toEqual([0, 0, 0, 0, 0]);
    expect(lexicalMatches(store, 'alpha')).toEqual([]);
  });

  it('segments Chinese text into words for the lexical index', () => {
    const { doc, chunks } = makeDocument('docs', 'zh.txt', '我们在北京大学学习自然语言处理');
    const { chunkRowids } = store.documents.write(doc, chunks);
    expect(lexicalMatches(store, '北京')).toEqual(chunkRowids);
  });
});

describe('collections', () => {
  it('rejects bad names and duplicates with exact codes', () => {
    expect(() => store.collections.create({ name: 'Bad Name' })).toThrow(/must be 1-64 lowercase letters/);
    let caught: unknown;
    try {
      store.collections.create({ name: 'docs' });
    } catch (error) {
      caught = error;
    }
    expect(isCairnError(caught, 'COLLECTION_EXISTS')).toBe(true);
    expect(
      isCairnError(
        catchError(() => store.collections.require('nope')),
        'COLLECTION_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('merges settings updates over defaults', () => {
    const updated = store.collections.update('docs', { settings: { index: 'hnsw' } });
    expect(updated.settings.index).toBe('hnsw');
    expect(updated.settings.chunking).toEqual({ splitter: 'auto', size: 512, overlap: 64, unit: 'tokens' });
  });
});

describe('jobs, keys and chats', () => {
  it('tracks a job from queued to finished with progress and failures', () => {
    const job = store.jobs.create({ kind: 'ingest', collectionId: 'docs', payload: { sources: ['a'] } });
    expect(job.status).toBe('queued');
    store.jobs.start(job.id);
    store.jobs.progress(job.id, { documentsDone: 1, documentsTotal: 2, chunksDone: 3, chunksTotal: 3 }, [
      { source: 'b', code: 'EMPTY_FILE', message: 'The file is empty' },
    ]);
    expect(store.jobs.unfinished().map((j) => j.id)).toEqual([job.id]);
    const done = store.jobs.finish(job.id, { status: 'succeeded', result: { added: 1 } });
    expect([done.status, done.progress.documentsDone, done.failures[0]?.code, done.result]).toEqual([
      'succeeded',
      1,
      'EMPTY_FILE',
      { added: 1 },
    ]);
    expect(store.jobs.unfinished()).toEqual([]);
  });

  it('stores only key hashes, verifies keys and honours revocation', () => {
    const { key, apiKey } = store.apiKeys.create({ name: 'ci', scopes: { docs: ['read'] } });
    expect(JSON.stringify(store.db.prepare('SELECT * FROM api_keys').all())).not.toContain(key);
    expect(store.apiKeys.verify(key)?.id).toBe(apiKey.id);
    expect(store.apiKeys.verify(`${key}x`)).toBeNull();
    store.apiKeys.revoke('ci');
    expect(store.apiKeys.verify(key)).toBeNull();
    expect(store.apiKeys.activeCount()).toBe(0);
  });

  it('keeps chat messages in order and titles a chat by its first question', () => {
    const chat = store.chats.create({ collectionId: 'docs' });
    store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What is Cairn?', result: null });
    store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'A RAG platform.', result: { decision: 'answered' } });
    expect(store.chats.messages(chat.id).map((m) => [m.role, m.content])).toEqual([
      ['user', 'What is Cairn?'],
      ['assistant', 'A RAG platform.'],
    ]);
    expect(store.chats.require(chat.id).title).toBe('What is Cairn?');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
