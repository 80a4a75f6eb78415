import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildBm25Index } from '../../retrieval/bm25-index.ts';
import { searchBm25Pg } from '../../retrieval/postgres/index.ts';
import { copySqliteToPostgres } from '../../store/copy-to-postgres.ts';
import { openStore, type Store } from '../../store/index.ts';
import { openPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { makeDocument } from './fixtures.ts';
import { createTestDatabase, describePostgres } from './postgres-helpers.ts';

interface SciDoc {
  _id: string;
  title: string;
  text: string;
}

const FIXTURE = new URL('../fixtures/scifact/', import.meta.url);
const corpus = readFileSync(new URL('corpus.jsonl', FIXTURE), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as SciDoc);
const queries = readFileSync(new URL('queries.jsonl', FIXTURE), 'utf8')
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { text: string }).text);

/** A data folder's database as a user has it: documents with vectors, a chat with feedback, keys, jobs. */
function buildSource(): Store {
  const store = openStore({ file: ':memory:' });
  const collection = store.collections.create({ name: 'scifact' });
  corpus.forEach((d, i) => {
    const { doc, chunks } = makeDocument(collection.id, `scifact/${d._id}`, d.text);
    const vectors = chunks.map((_, j) => Float32Array.from([1, (i % 7) / 7, (j % 3) / 3]));
    store.documents.write({ ...doc, title: d.title }, chunks, { modelId: 'toy', dimensions: 3, vectors });
  });
  const chat = store.chats.create({ collectionId: collection.id });
  store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What causes X?', result: null });
  const answer = store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'Y.', result: null });
  store.apiKeys.create({ name: 'ci', scopes: { '*': ['read'] } });
  const embed = store.apiKeys.createEmbed({ name: 'site', collection: 'scifact', origins: ['https://a.example'] });
  store.apiKeys.claimChat(chat.id, embed.apiKey.id, 'visitor-1');
  store.jobs.create({ kind: 'ingest', collectionId: collection.id });
  // A job the data folder's server was running when it stopped, with an upload still waiting.
  const running = store.jobs.create({
    kind: 'ingest',
    collectionId: collection.id,
    payload: { sources: [{ type: 'upload', file: 'up_1/0.bin', name: 'note.txt' }], batch: 'up_1' },
  });
  store.jobs.claim(running.id, 3);
  store.idempotency.remember('open', 'key-1', 'scifact', 'job_x');
  store.db
    .prepare("INSERT INTO message_feedback (message_id, chat_id, rating, comment, created_at) VALUES (?, ?, 'up', NULL, ?)")
    .run(answer.id, chat.id, '2026-12-02T00:00:00.000Z');
  return store;
}

describePostgres('cairn migrate: data folder → PostgreSQL', () => {
  let source: Store;
  let target: PostgresStore;
  let drop: () => Promise<void>;
  let uploadsDir: string;

  beforeAll(async () => {
    source = buildSource();
    uploadsDir = mkdtempSync(path.join(tmpdir(), 'cairn-copy-uploads-'));
    mkdirSync(path.join(uploadsDir, 'up_1'));
    writeFileSync(path.join(uploadsDir, 'up_1/0.bin'), 'bytes waiting for a job');
    const database = await createTestDatabase('cairn_copy');
    drop = database.drop;
    target = await openPostgresStore({ url: database.url, poolSize: 4 });
  });
  afterAll(async () => {
    source?.close();
    rmSync(uploadsDir, { recursive: true, force: true });
    await target?.close();
    await drop?.();
  });

  it('an interrupted copy resumes where it stopped, and every table ends with the same count', async () => {
    await expect(
      copySqliteToPostgres(source.db, target.pool, {
        batchDocuments: 50,
        afterBatch: (done) => {
          if (done === 100) throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    const partial = await target.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    expect(partial.rows[0]?.n).toBe(100);

    const report = await copySqliteToPostgres(source.db, target.pool, { batchDocuments: 50, uploadsDir });
    expect(report.documents).toEqual({ copied: 200, alreadyThere: 100 });
    expect(report.ok).toBe(true);
    const counts = Object.fromEntries(report.tables.map((t) => [t.table, t.target]));
    expect(counts).toEqual({
      collections: 1,
      documents: 300,
      chunks: source.db.prepare('SELECT count(*) AS n FROM chunks').pluck().get(),
      vectors: source.db.prepare('SELECT count(*) AS n FROM vectors').pluck().get(),
      api_keys: 2,
      jobs: 2,
      chats: 1,
      messages: 2,
      message_sources: 0,
      embed_chats: 1,
      message_feedback: 1,
      idempotency_keys: 1,
    });
  });

  it('a job the data folder was running waits to be claimed again, with its upload bytes in job_files', async () => {
    const jobs = await target.pool.query<{ status: string; owner: string | null }>(
      "SELECT status, owner FROM jobs WHERE payload->>'batch' = 'up_1'",
    );
    expect(jobs.rows).toEqual([{ status: 'queued', owner: null }]);
    const files = await target.pool.query<{ file: string; data: Buffer }>('SELECT file, data FROM job_files');
    expect(files.rows.map((r) => [r.file, r.data.toString()])).toEqual([['up_1/0.bin', 'bytes waiting for a job']]);
  });

  it('BM25 on PostgreSQL ranks every query exactly as the data folder did, and documents read back the same', async () => {
    const collection = source.collections.require('scifact');
    const embedded = buildBm25Index(source.chunks.iterateSearchFields(collection.id));
    for (const query of queries) {
      const before = embedded.search(query, 10).map((h) => ({ id: h.rowid, score: h.score }));
      const after = await searchBm25Pg(target.pool, { collectionId: collection.id, query, k: 10 });
      expect(after.hits).toEqual(before);
    }
    const doc = source.documents.findBySource(collection.id, 'scifact/4983');
    expect(await target.documents.findBySource(collection.id, 'scifact/4983')).toEqual(doc);
    const chatId = source.db.prepare('SELECT id FROM chats').pluck().get() as string;
    const messages = await target.chats.messages(chatId);
    expect(messages.map((m) => m.content)).toEqual(['What causes X?', 'Y.']);
  });

  it('a chunk written on PostgreSQL after the copy takes a new rowid, and a second copy changes nothing', async () => {
    const collection = source.collections.require('scifact');
    const { doc, chunks } = makeDocument(collection.id, 'after-copy', 'A new finding about zebrafish fins.');
    const written = await target.documents.write(doc, chunks);
    const maxCopied = source.db.prepare('SELECT max(rowid) FROM chunks').pluck().get() as number;
    expect(written.chunkRowids).toEqual([maxCopied + 1]);
    await target.documents.remove(doc.id);
    const again = await copySqliteToPostgres(source.db, target.pool);
    expect(again.documents).toEqual({ copied: 0, alreadyThere: 300 });
    expect(again.ok).toBe(true);
  });

  it('refuses a database that holds another installation', async () => {
    const other = openStore({ file: ':memory:' });
    other.collections.create({ name: 'elsewhere' });
    await expect(copySqliteToPostgres(other.db, target.pool)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    other.close();
  });
});
