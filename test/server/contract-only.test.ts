import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { answer } from '../../generation/index.ts';
import { ingest } from '../../indexer/index.ts';
import { contractPassageSource, type Retrievers, type SearchRequest, search } from '../../retrieval/index.ts';
import { type AppDeps, createApp, createJobWorker, createMetrics, type Services } from '../../server/index.ts';
import { createSqliteContract, openStore, type Store, type StoreContract } from '../../store/index.ts';
import { createFakeServices, json, testConfig } from './helpers.ts';

/**
 * The server given only the store contract (as on PostgreSQL): no embedded SQLite store, so no
 * original files, no data tables, no in-memory indexes. Everything in the contract answers as on
 * SQLite; what needs the embedded store answers with a typed error or an empty list.
 */
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** BM25 stand-in over the contract: chunks whose text holds a query word, in rowid order (a fake, not a ranker). */
function containsRetrievers(store: StoreContract): Retrievers {
  return {
    ...contractPassageSource(store),
    resolveFilter: async () => null,
    async lexical(q) {
      const words = q.query.toLowerCase().match(/\p{L}+/gu) ?? [];
      const { documents } = await store.documents.list({ collectionId: q.collectionId, limit: 1000 });
      const chunks = (await Promise.all(documents.map((d) => store.chunks.byDocument(d.id)))).flat();
      const hits = chunks
        .filter((c) => words.some((w) => c.text.toLowerCase().includes(w)))
        .sort((a, b) => a.rowid - b.rowid)
        .slice(0, q.k)
        .map((c) => ({ id: c.rowid, score: 1 }));
      return { hits, noTerms: words.length === 0 };
    },
    dense: async () => null,
  };
}

/** The real ingest, search and answer pipelines over the contract alone (no embedder, no generator). */
function contractServices(store: StoreContract, sqlite: Store, config: AppDeps['config']): Services {
  const retrievers = containsRetrievers(store);
  const searchDeps = { store, retrievers, config, embedder: null, reranker: null };
  const run = (request: SearchRequest) => search(searchDeps, request);
  return {
    ...createFakeServices(sqlite),
    ingest: (call) => ingest({ store, config, logger: silentLogger, embedder: null }, call as never) as never,
    search: (call) => run(call as SearchRequest),
    answer: (call, onEvent) =>
      answer({ store, config, generator: null, search: run, logger: silentLogger }, call as never, onEvent),
  };
}

function setup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-contract-only-'));
  const config = testConfig(dataDir);
  const sqlite = openStore({ dataDir });
  const store = createSqliteContract(sqlite);
  const services = contractServices(store, sqlite, config);
  const metrics = createMetrics();
  const uploadsDir = path.join(dataDir, 'uploads');
  const jobs = createJobWorker({ store, logger: silentLogger, metrics, ingest: services.ingest, uploadsDir });
  const deps: AppDeps = { config, store, logger: silentLogger, services, jobs, metrics, openWithoutKeys: true };
  const app = createApp(deps);
  cleanup = async () => {
    await jobs.stop();
    sqlite.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const req = (p: string, init?: RequestInit) => app.request(p, init);
  return { app, jobs, req, store };
}

async function body(res: Response): Promise<[number, unknown]> {
  return [res.status, await res.json()];
}

describe('the server on the store contract alone', () => {
  it('creates, lists, reads and deletes collections as on SQLite', async () => {
    const { req } = setup();
    const created = (await req('/v1/collections', json({ name: 'notes', description: 'Field notes' }))) as Response;
    const view = (await created.json()) as { name: string; counts: unknown; title: string };
    expect([created.status, view.name, view.title, view.counts]).toEqual([
      201,
      'notes',
      'notes',
      { documents: 0, chunks: 0, vectors: [] },
    ]);
    const listed = (await (await req('/v1/collections')).json()) as { collections: { name: string }[] };
    expect(listed.collections.map((c) => c.name)).toEqual(['notes']);
    expect(await body(await req('/v1/collections/notes', { method: 'DELETE' }))).toEqual([200, { deleted: true, id: 'notes' }]);
    const gone = (await req('/v1/collections/notes')) as Response;
    expect([gone.status, ((await gone.json()) as { error: { code: string } }).error.code]).toEqual([404, 'COLLECTION_NOT_FOUND']);
  });

  it('creates, lists and revokes API keys', async () => {
    const { req } = setup();
    const made = (await req('/v1/keys', json({ name: 'ops', scopes: ['*:admin'] }))) as Response;
    const { key, secret } = (await made.json()) as { key: { id: string; name: string; scopes: unknown }; secret: string };
    expect([made.status, key.name, key.scopes, secret.startsWith('cairn_')]).toEqual([201, 'ops', { '*': ['admin'] }, true]);
    // With an active key the server is no longer open: the key is needed, and works.
    expect((await req('/v1/keys')).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${secret}` } };
    const listed = (await (await req('/v1/keys', auth)).json()) as { keys: { name: string }[] };
    expect(listed.keys.map((k) => k.name)).toEqual(['ops']);
    const revoked = (await req(`/v1/keys/${key.id}`, { method: 'DELETE', ...auth })) as Response;
    expect([revoked.status, ((await revoked.json()) as { revoked: boolean }).revoked]).toEqual([200, true]);
  });

  it('ingests through the job worker, searches and answers from the contract', async () => {
    const { req, jobs } = setup();
    const text = 'Cairns mark trails across open ground. Hikers add a stone as they pass.';
    const accepted = (await req('/v1/collections/trails/documents', json({ text, source: 'cairns' }))) as Response;
    expect(accepted.status).toBe(202);
    await jobs.idle();
    const { jobId } = (await accepted.json()) as { jobId: string };
    const job = (await (await req(`/v1/jobs/${jobId}`)).json()) as { status: string; result: { added: number } };
    expect([job.status, job.result.added]).toEqual(['succeeded', 1]);
    const found = (await (await req('/v1/collections/trails/search', json({ query: 'trails', mode: 'bm25' }))).json()) as {
      passages: { source: string; text: string }[];
      ran: object;
    };
    expect(found.passages.map((p) => [p.source, p.text])).toEqual([['cairns', text]]);
    expect(found.ran).toEqual({ bm25: true, dense: false, fusion: null, rerank: false });
    const asked = (await (await req('/v1/collections/trails/ask', json({ question: 'What marks trails?' }))).json()) as {
      answer: string;
      citations: { source: string }[];
      chatId: string;
    };
    expect([asked.answer.length > 0, asked.citations.map((c) => c.source)]).toEqual([true, ['cairns']]);
    const chat = (await (await req(`/v1/chats/${asked.chatId}`)).json()) as { messages: { role: string }[] };
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('keeps no originals or data tables: typed errors and empty lists instead', async () => {
    const { req, jobs } = setup();
    const form = new FormData();
    form.append('files', new File(['Item,Price\nApples,1.99\n'], 'fruit.csv', { type: 'text/csv' }));
    expect((await req('/v1/collections/shop/documents', { method: 'POST', body: form })).status).toBe(202);
    await jobs.idle();
    const listed = (await (await req('/v1/collections/shop/documents')).json()) as { documents: { id: string }[] };
    const id = listed.documents[0]?.id ?? '';
    const file = (await req(`/v1/collections/shop/documents/${id}/file`)) as Response;
    expect([file.status, ((await file.json()) as { error: { code: string } }).error.code]).toEqual([404, 'FILE_NOT_KEPT']);
    expect(await body(await req('/v1/collections/shop/tables'))).toEqual([200, { tables: [] }]);
    const sql = (await req('/v1/collections/shop/sql', json({ sql: 'SELECT 1' }))) as Response;
    const error = ((await sql.json()) as { error: { code: string; message: string } }).error;
    expect([sql.status, error.code, error.message]).toEqual([
      501,
      'NOT_IMPLEMENTED',
      'SQL over tables needs the embedded SQLite store: this server keeps no data tables',
    ]);
    const missing = (await req('/v1/collections/nowhere/sql', json({ sql: 'SELECT 1' }))) as Response;
    expect(missing.status).toBe(404);
    expect(await body(await req(`/v1/collections/shop/documents/${id}`, { method: 'DELETE' }))).toEqual([
      200,
      { deleted: true, id },
    ]);
  });
});
