import { beforeEach, describe, expect, it } from 'vitest';
import type { StoreContract } from '../../store/contract.ts';
import { codeOf, ISO, seedDocument, tick } from './contract.case.ts';

/** Jobs, API keys, chats, idempotency keys and feedback: part of the one contract suite (contract.case.ts). */
export function registerRestCases(s: () => StoreContract): void {
  registerJobCases(s);
  registerKeyCases(s);
  registerChatCases(s);
}

function registerJobCases(s: () => StoreContract): void {
  describe('jobs', () => {
    it('create, get, require, start, progress, finish, payload, list, unfinished, queueDepth', async () => {
      const store = s();
      const job = await store.jobs.create({
        kind: 'ingest',
        collectionId: 'c',
        payload: { sources: [{ hash: 'h1' }] },
        hashes: ['h1'],
      });
      expect(job).toMatchObject({
        kind: 'ingest',
        collectionId: 'c',
        status: 'queued',
        attempts: 0,
        result: null,
        failures: [],
        error: null,
        startedAt: null,
        finishedAt: null,
      });
      expect(job.progress).toEqual({ documentsDone: 0, documentsTotal: 0, chunksDone: 0, chunksTotal: 0 });
      expect([job.id.startsWith('job_'), job.createdAt]).toEqual([true, expect.stringMatching(ISO)]);
      expect(await store.jobs.get(job.id)).toEqual(job);
      expect(await store.jobs.get('nope')).toBeNull();
      expect(await codeOf(store.jobs.require('nope'))).toBe('JOB_NOT_FOUND');
      expect(await store.jobs.payload(job.id)).toEqual({ sources: [{ hash: 'h1' }] });
      expect(await store.jobs.payload('nope')).toEqual({});
      const started = await store.jobs.start(job.id);
      expect([started.status, started.startedAt]).toEqual(['running', expect.stringMatching(ISO)]);
      await store.jobs.progress(job.id, { documentsDone: 1, documentsTotal: 2, chunksDone: 3, chunksTotal: 4 });
      await store.jobs.progress(job.id, { documentsDone: 2, documentsTotal: 2, chunksDone: 4, chunksTotal: 4 }, [
        { source: 'x', code: 'E', message: 'm' },
      ]);
      expect(await store.jobs.get(job.id)).toMatchObject({
        progress: { documentsDone: 2, documentsTotal: 2, chunksDone: 4, chunksTotal: 4 },
        failures: [{ source: 'x', code: 'E', message: 'm' }],
      });
      await tick();
      const other = await store.jobs.create({ kind: 'reindex', collectionId: 'd' });
      expect([await store.jobs.queueDepth(), (await store.jobs.unfinished()).map((j) => j.id)]).toEqual([2, [job.id, other.id]]);
      // No order is promised: compared as a set.
      expect((await store.jobs.unfinishedPayloads()).map((p) => JSON.stringify(p)).sort()).toEqual([
        '{"sources":[{"hash":"h1"}]}',
        '{}',
      ]);
      const done = await store.jobs.finish(job.id, { status: 'succeeded', result: { documents: 2 }, payload: { sources: [] } });
      expect(done).toMatchObject({
        status: 'succeeded',
        result: { documents: 2 },
        error: null,
        finishedAt: expect.stringMatching(ISO),
      });
      expect(await store.jobs.payload(job.id)).toEqual({ sources: [] });
      expect((await store.jobs.list()).map((j) => j.id)).toEqual([other.id, job.id]);
      expect((await store.jobs.list({ status: 'succeeded' })).map((j) => j.id)).toEqual([job.id]);
      expect((await store.jobs.list({ collectionId: 'd' })).map((j) => j.id)).toEqual([other.id]);
      expect((await store.jobs.list({ limit: 1 })).map((j) => j.id)).toEqual([other.id]);
      expect(await store.jobs.queueDepth()).toBe(1);
      expect(await codeOf(store.jobs.finish('nope', { status: 'failed' }))).toBe('JOB_NOT_FOUND');
    });

    it('claim counts attempts, refuses finished and exhausted jobs; requeue and noteError; prune', async () => {
      const store = s();
      const job = await store.jobs.create({ kind: 'ingest' });
      const first = await store.jobs.claim(job.id, 2);
      expect([first.claimed, first.job?.status, first.job?.attempts]).toEqual([true, 'running', 1]);
      expect((await store.jobs.requeue(job.id)).attempts).toBe(0);
      await store.jobs.claim(job.id, 2);
      await store.jobs.noteError(job.id, 'boom');
      const second = await store.jobs.claim(job.id, 2);
      expect([second.claimed, second.job?.attempts, second.job?.error]).toEqual([true, 2, 'boom']);
      expect(await store.jobs.claim(job.id, 2)).toEqual({ claimed: false, job: await store.jobs.get(job.id), exhausted: true });
      expect(await store.jobs.claim('nope', 2)).toEqual({ claimed: false, job: null, exhausted: false });
      await store.jobs.finish(job.id, { status: 'failed', error: 'gave up' });
      await store.jobs.noteError(job.id, 'later');
      expect(await store.jobs.get(job.id)).toMatchObject({ status: 'failed', error: 'gave up' });
      expect(await store.jobs.claim(job.id, 5)).toMatchObject({ claimed: false, exhausted: false });
      const running = await store.jobs.create({ kind: 'ingest' });
      expect(await store.jobs.prune('2000-01-01T00:00:00.000Z')).toBe(0);
      expect(await store.jobs.prune('9999-01-01T00:00:00.000Z')).toBe(1);
      expect((await store.jobs.list()).map((j) => j.id)).toEqual([running.id]);
    });

    it('deleting a document drops its text from unfinished job payloads only', async () => {
      const store = s();
      await store.collections.create({ name: 'c' });
      const { document } = await seedDocument(store, 'a.txt', 'alpha');
      const keep = { type: 'text', hash: 'other', text: 'keep' };
      const gone = { type: 'text', hash: document.contentHash, text: 'alpha' };
      const queued = await store.jobs.create({
        kind: 'ingest',
        collectionId: 'c',
        payload: { sources: [gone, keep] },
        hashes: [document.contentHash, 'other'],
      });
      const finished = await store.jobs.create({
        kind: 'ingest',
        collectionId: 'c',
        payload: { sources: [gone] },
        hashes: [document.contentHash],
      });
      await store.jobs.finish(finished.id, { status: 'succeeded' });
      await store.documents.remove(document.id);
      expect(await store.jobs.payload(queued.id)).toEqual({ sources: [keep] });
      expect(await store.jobs.payload(finished.id)).toEqual({ sources: [gone] });
    });

    it('deleting a part document of an upload drops the upload from unfinished job payloads', async () => {
      const store = s();
      await store.collections.create({ name: 'c' });
      const hash = `0123456789abcdef${'e'.repeat(48)}`;
      const { document } = await seedDocument(store, 'upload:0123456789abcdef/t.csv#L3', 'row three');
      const upload = { type: 'upload', hash, name: 't.csv' };
      const text = { type: 'text', hash: 'other', text: 'keep' };
      const job = await store.jobs.create({
        kind: 'ingest',
        collectionId: 'c',
        payload: { sources: [upload, text] },
        hashes: [hash, 'other'],
      });
      await store.documents.remove(document.id);
      expect(await store.jobs.payload(job.id)).toEqual({ sources: [text] });
    });
  });
}

function registerKeyCases(s: () => StoreContract): void {
  describe('api keys, idempotency keys', () => {
    it('create, verify, list, activeCount, revoke', async () => {
      const store = s();
      expect(await store.apiKeys.activeCount()).toBe(0);
      const { key, apiKey } = await store.apiKeys.create({ name: 'ci', scopes: { '*': ['read', 'write'] } });
      expect([
        key.startsWith('cairn_'),
        apiKey.name,
        apiKey.scopes,
        apiKey.lastUsedAt,
        apiKey.revokedAt,
        'embed' in apiKey,
      ]).toEqual([true, 'ci', { '*': ['read', 'write'] }, null, null, false]);
      expect(await store.apiKeys.activeCount()).toBe(1);
      expect((await store.apiKeys.verify(key))?.id).toBe(apiKey.id);
      expect(await store.apiKeys.verify('cairn_wrong')).toBeNull();
      expect((await store.apiKeys.list())[0]?.lastUsedAt).toMatch(ISO);
      const revoked = await store.apiKeys.revoke('ci');
      expect([revoked.id, revoked.revokedAt]).toEqual([apiKey.id, expect.stringMatching(ISO)]);
      expect([await store.apiKeys.verify(key), await store.apiKeys.activeCount()]).toEqual([null, 0]);
      expect(await codeOf(store.apiKeys.revoke('ci'))).toBe('NOT_FOUND');
    });

    it('embed keys: binding, origins, validation, chats owned by visitors', async () => {
      const store = s();
      await store.collections.create({ name: 'c' });
      const { key, apiKey } = await store.apiKeys.createEmbed({
        name: 'site',
        collection: 'c',
        origins: ['https://A.example/', 'https://a.example'],
        ratePerMinute: 30,
      });
      expect([key.startsWith('cairn_embed_'), apiKey.scopes, apiKey.embed]).toEqual([
        true,
        { c: ['read'] },
        { collection: 'c', origins: ['https://a.example'], ratePerMinute: 30 },
      ]);
      expect([...(await store.apiKeys.embedOrigins())]).toEqual(['https://a.example']);
      expect(await codeOf(store.apiKeys.createEmbed({ name: 'x', collection: '*', origins: ['https://a.example'] }))).toBe(
        'VALIDATION',
      );
      expect(await codeOf(store.apiKeys.createEmbed({ name: 'x', collection: 'c', origins: ['https://a.example/path'] }))).toBe(
        'VALIDATION',
      );
      const chat = await store.chats.create({ collectionId: 'c' });
      await store.apiKeys.claimChat(chat.id, apiKey.id, 'v1');
      expect([
        await store.apiKeys.ownsChat(chat.id, apiKey.id, 'v1'),
        await store.apiKeys.ownsChat(chat.id, apiKey.id, 'v2'),
        await store.apiKeys.ownsChat('nope', apiKey.id, 'v1'),
      ]).toEqual([true, false, false]);
    });

    it('idempotency: remember, find, reuse replaces, forget', async () => {
      const store = s();
      expect(await store.idempotency.find('open', 'k')).toBeNull();
      await store.idempotency.remember('open', 'k', 'c', 'job_1');
      expect(await store.idempotency.find('open', 'k')).toEqual({
        scope: 'c',
        jobId: 'job_1',
        createdAt: expect.stringMatching(ISO),
      });
      expect(await store.idempotency.find('key_2', 'k')).toBeNull();
      await store.idempotency.remember('open', 'k', 'd', 'job_2');
      expect((await store.idempotency.find('open', 'k'))?.jobId).toBe('job_2');
      await store.idempotency.forget('open', 'k');
      expect(await store.idempotency.find('open', 'k')).toBeNull();
    });

    it('idempotency: of concurrent reservations of one key exactly one wins, and it holds no job until remembered', async () => {
      const store = s();
      const won = await Promise.all(Array.from({ length: 6 }, () => store.idempotency.reserve('open', 'k', 'c')));
      expect(won.filter(Boolean).length).toBe(1);
      expect((await store.idempotency.find('open', 'k'))?.jobId).toBe('');
      await store.idempotency.remember('open', 'k', 'c', 'job_1');
      expect((await store.idempotency.find('open', 'k'))?.jobId).toBe('job_1');
      expect(await store.idempotency.reserve('open', 'k', 'c')).toBe(false);
      await store.idempotency.forget('open', 'k');
      expect(await store.idempotency.reserve('open', 'k', 'c')).toBe(true);
    });
  });
}

function registerChatCases(s: () => StoreContract): void {
  describe('chats and feedback', () => {
    beforeEach(async () => {
      await s().collections.create({ name: 'c' });
    });

    it('create, get, require, list, rename, addMessage, messages, remove', async () => {
      const store = s();
      const chat = await store.chats.create({ collectionId: 'c' });
      expect([chat.id.startsWith('chat_'), chat.title, chat.collectionId]).toEqual([true, '', 'c']);
      expect(await store.chats.get(chat.id)).toEqual(chat);
      expect(await store.chats.get('nope')).toBeNull();
      expect(await codeOf(store.chats.require('nope'))).toBe('CHAT_NOT_FOUND');
      expect(await codeOf(store.chats.rename('nope', 't'))).toBe('CHAT_NOT_FOUND');
      await tick();
      const q = await store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What is alpha?', result: null });
      const a = await store.chats.addMessage({
        chatId: chat.id,
        role: 'assistant',
        content: 'A letter.',
        result: { citations: [] },
      });
      expect((await store.chats.messages(chat.id)).map((m) => [m.id, m.role, m.content, m.result])).toEqual([
        [q.id, 'user', 'What is alpha?', null],
        [a.id, 'assistant', 'A letter.', { citations: [] }],
      ]);
      expect((await store.chats.require(chat.id)).title).toBe('What is alpha?');
      const renamed = await store.chats.rename(chat.id, 'Alpha');
      expect([renamed.title, renamed.updatedAt]).toEqual(['Alpha', (await store.chats.get(chat.id))?.updatedAt]);
      await tick();
      const other = await store.chats.create({ collectionId: 'c', title: 'second' });
      expect((await store.chats.list()).map((c) => c.id)).toEqual([other.id, chat.id]);
      expect((await store.chats.list('c')).map((c) => c.id)).toEqual([other.id, chat.id]);
      expect(await store.chats.list('x')).toEqual([]);
      expect([await store.chats.remove(chat.id), await store.chats.remove(chat.id), await store.chats.messages(chat.id)]).toEqual(
        [true, false, []],
      );
    });

    it('a deleted document is scrubbed from answers that cited it, and from answers stored after', async () => {
      const store = s();
      const { document } = await seedDocument(store, 'a.txt', 'alpha');
      const chat = await store.chats.create({ collectionId: 'c' });
      const cite = { citations: [{ marker: 1, chunkId: 'k', documentId: document.id, source: 'a.txt', quote: 'alpha' }] };
      const tomb = { citations: [{ marker: 1, chunkId: 'k', documentId: document.id, source: null, deleted: true }] };
      const before = await store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'x', result: cite });
      expect(before.result).toEqual(cite);
      await store.documents.remove(document.id);
      const after = await store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'y', result: cite });
      expect((await store.chats.messages(chat.id)).map((m) => m.result)).toEqual([tomb, tomb]);
      expect(after.result).toEqual(tomb);
    });

    it('feedback: give, replace, byMessage', async () => {
      const store = s();
      const chat = await store.chats.create({ collectionId: 'c' });
      const m = await store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'x', result: null });
      const up = await store.feedback.give({ chatId: chat.id, messageId: m.id, rating: 'up' });
      expect(up).toEqual({ rating: 'up', comment: null, at: expect.stringMatching(ISO) });
      const down = await store.feedback.give({ chatId: chat.id, messageId: m.id, rating: 'down', comment: 'wrong' });
      expect(await store.feedback.byMessage(chat.id)).toEqual(new Map([[m.id, down]]));
      expect(await store.feedback.byMessage('nope')).toEqual(new Map());
    });
  });
}
