import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentId } from '../../core/index.ts';
import { type AskEvent, Cairn, NotFoundError, ValidationError } from '../../sdk/index.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

let running: SdkServer;
let cairn: Cairn;

beforeAll(async () => {
  running = await startSdkServer({ fakes: { ingestDelayMs: 5 } });
  cairn = new Cairn({ baseUrl: running.url, maxRetries: 0 });
});
afterAll(() => running.close());

describe('the SDK against a real server in Node', () => {
  it('creates, lists, gets, updates and deletes collections', async () => {
    const created = await cairn.collections.create({ name: 'notes', description: 'first' });
    expect([created.name, created.description, created.counts.documents]).toEqual(['notes', 'first', 0]);
    expect((await cairn.collections.list()).map((c) => c.name)).toContain('notes');
    const updated = await cairn.collections.update('notes', { description: 'second' });
    expect(updated.description).toBe('second');
    expect((await cairn.collections.get('notes')).description).toBe('second');
    expect(await cairn.collections.delete('notes')).toEqual({ deleted: true, id: 'notes' });
    await expect(cairn.collections.get('notes')).rejects.toMatchObject({ code: 'COLLECTION_NOT_FOUND', status: 404 });
  });

  it('adds a text, waits for its job with progress, and reads the document back', async () => {
    const accepted = await cairn.documents.add('rocks', {
      text: 'Granite is an igneous rock.',
      title: 'Granite',
      source: 'granite',
    });
    expect(accepted.job.kind).toBe('ingest');
    expect(accepted.id).toBe(accepted.jobId);
    const progress: number[] = [];
    const job = await cairn.jobs.wait(accepted.id, { onProgress: (p) => progress.push(p.progress.documentsTotal) });
    expect(job.status).toBe('succeeded');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const id = documentId('rocks', 'granite');
    expect((await cairn.documents.text('rocks', id)).text).toBe('Granite is an igneous rock.');
    const doc = await cairn.documents.get('rocks', id);
    expect([doc.title, doc.chunks.length]).toEqual(['Granite', 1]);
    const list = await cairn.documents.list('rocks', { limit: 10 });
    expect([list.total, list.limit, list.documents[0]?.characters]).toEqual([1, 10, 27]);
  });

  it('uploads a File, a Blob, bytes, named bytes and (in Node) a path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-sdk-file-'));
    const file = path.join(dir, 'from-path.txt');
    writeFileSync(file, 'Read from a path.');
    try {
      const files = [
        new File(['A File.'], 'a-file.txt', { type: 'text/plain' }),
        new Blob(['A Blob.'], { type: 'text/plain' }),
        new TextEncoder().encode('Bare bytes.'),
        { name: 'named.txt', data: new TextEncoder().encode('Named bytes.') },
        file,
      ];
      const accepted = await cairn.documents.add('uploads', { files, metadata: { team: 'sdk' } });
      expect((await cairn.jobs.wait(accepted.jobId)).status).toBe('succeeded');
      const { documents } = await cairn.documents.list('uploads');
      expect(documents.map((d) => d.title).sort()).toEqual(['a-file.txt', 'file-2', 'file-3', 'from-path.txt', 'named.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ingests URLs as a job', async () => {
    const accepted = await cairn.documents.add('web', { urls: ['https://example.com/a'] });
    const job = await cairn.jobs.wait(accepted.jobId);
    expect(job.status).toBe('succeeded');
    expect((await cairn.documents.list('web')).documents.map((d) => d.source)).toEqual(['https://example.com/a']);
  });

  it('replaces, re-ingests and deletes a document', async () => {
    const first = await cairn.documents.add('edits', { files: new File(['Old words.'], 'page.txt') });
    await cairn.jobs.wait(first.jobId);
    const [doc] = (await cairn.documents.list('edits')).documents;
    if (!doc) throw new Error('no document');
    const replaced = await cairn.documents.replace('edits', doc.id, new File(['New words.'], 'page.txt'));
    expect((await cairn.jobs.wait(replaced.jobId)).status).toBe('succeeded');
    expect((await cairn.documents.text('edits', doc.id)).text).toBe('New words.');
    const again = await cairn.documents.reingest('edits', doc.id);
    expect([again.job.kind, (await cairn.jobs.wait(again.jobId)).status]).toEqual(['reingest', 'succeeded']);
    expect(await cairn.documents.delete('edits', doc.id)).toEqual({ deleted: true, id: doc.id });
    await expect(cairn.documents.get('edits', doc.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('searches', async () => {
    const { passages, notes } = await cairn.search('rocks', { query: 'granite', k: 3, mode: 'bm25' });
    expect(passages.map((p) => p.text)).toEqual(['Granite is an igneous rock.']);
    expect(notes).toEqual(['fake search']);
  });

  it('streams an answer as typed events and gives the final result', async () => {
    const stream = cairn.ask('rocks', { question: 'What is granite?' });
    const events: AskEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual(['retrieved', ...Array(6).fill('token'), 'citation', 'done']);
    const text = events.map((e) => (e.type === 'token' ? e.text : '')).join('');
    expect(text).toBe('Granite is an igneous rock. [1]');
    const result = await stream.result();
    expect([result.answer, result.citations[0]?.quote]).toEqual([
      'Granite is an igneous rock. [1]',
      'Granite is an igneous rock.',
    ]);
    const chat = await cairn.chats.get(result.chatId as string);
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('gives result() without iterating, continues a chat, lists and deletes chats', async () => {
    const first = await cairn.ask('rocks', { question: 'granite' }).result();
    const second = await cairn.ask('rocks', { question: 'granite again', chatId: first.chatId as string }).result();
    expect(second.chatId).toBe(first.chatId);
    const chats = await cairn.chats.list({ collection: 'rocks' });
    expect(chats.map((c) => c.id)).toContain(first.chatId);
    expect(await cairn.chats.delete(first.chatId as string)).toEqual({ deleted: true, id: first.chatId });
  });

  it('lists, gets, cancels and follows jobs', async () => {
    const accepted = await cairn.documents.add('jobs', { text: 'One.' });
    const events = [];
    for await (const event of cairn.jobs.events(accepted.jobId)) events.push(event.type);
    expect(events.at(-1)).toBe('done');
    expect((await cairn.jobs.get(accepted.jobId)).status).toBe('succeeded');
    expect((await cairn.jobs.list()).map((j) => j.id)).toContain(accepted.jobId);
    await expect(cairn.jobs.cancel(accepted.jobId)).rejects.toMatchObject({ code: 'CONFLICT', status: 409 });
  });

  it('reports health, metrics, the OpenAPI description and openai() settings', async () => {
    const health = await cairn.health();
    expect([health.status, health.auth]).toEqual(['ok', 'open (loopback, no API keys)']);
    expect(await cairn.metrics()).toContain('cairn_');
    expect((await cairn.openapi()).openapi).toBe('3.1.0');
    expect(cairn.openai()).toEqual({ baseURL: `${running.url}/v1`, apiKey: 'cairn-no-key' });
    expect(new Cairn({ baseUrl: `${running.url}/`, apiKey: 'k1' }).openai()).toEqual({
      baseURL: `${running.url}/v1`,
      apiKey: 'k1',
    });
  });

  it('throws typed errors with the server code, status and details', async () => {
    const error = await cairn.search('rocks', { query: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'VALIDATION', status: 400, name: 'ValidationError' });
    expect((error as ValidationError).details.issues).toEqual([{ path: 'query', message: expect.any(String) }]);
    await expect(cairn.jobs.get('nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND', status: 404, name: 'NotFoundError' });
  });
});
