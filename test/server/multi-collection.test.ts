import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { silentLogger } from '../../core/index.ts';
import { fuseCollectionResults, type SearchResult } from '../../retrieval/index.ts';
import { Cairn } from '../../sdk/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { createTestEnv, json, type TestEnv, testConfig } from './helpers.ts';

// Over the real runtime (real ingest, BM25, extractive answers) and a real socket.
let dataDir: string;
let server: RunningServer;
let cairn: Cairn;

async function add(collection: string, title: string, text: string): Promise<void> {
  const accepted = await cairn.documents.add(collection, { text, title, source: title });
  expect((await cairn.jobs.wait(accepted.jobId)).status).toBe('succeeded');
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-multi-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  cairn = new Cairn({ baseUrl: server.url, maxRetries: 0 });
  for (const name of ['empty', 'rocks', 'trees']) await cairn.collections.create({ name });
  await add('rocks', 'granite', 'Granite is an igneous rock made of quartz and feldspar.');
  await add('rocks', 'basalt', 'Basalt is a dark volcanic rock that cools quickly.');
  await add('trees', 'oak', 'The oak is a tree whose wood is hard; oak wood builds ships.');
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /v1/search over several collections', () => {
  it('searches each and fuses by reciprocal rank; every passage names its collection', async () => {
    const result = await cairn.search(['rocks', 'trees', 'empty'], { query: 'granite oak rock', k: 3 });
    expect(result.collections).toEqual(['rocks', 'trees', 'empty']);
    expect(result.passages.map((p) => [p.collection, p.source])).toEqual([
      ['rocks', 'granite'],
      ['trees', 'oak'],
      ['rocks', 'basalt'],
    ]);
    expect(result.ran.bm25).toBe(true);
  });

  it('leaves the one-collection search as it was (no collection field)', async () => {
    const single = await cairn.search('rocks', { query: 'granite', k: 1 });
    expect([single.passages.map((p) => p.source), 'collection' in (single.passages[0] ?? {})]).toEqual([['granite'], false]);
  });
});

describe('POST /v1/ask over several collections', () => {
  it('streams the usual events; citations come from any listed collection and name it', async () => {
    const stream = cairn.ask(['empty', 'trees', 'rocks'], { question: 'What is granite made of?' });
    const types = new Set<string>();
    const cited: unknown[] = [];
    for await (const event of stream) {
      types.add(event.type);
      if (event.type === 'citation') cited.push((event.citation as { collection?: string }).collection);
    }
    const result = await stream.result();
    expect([...types].filter((t) => ['retrieved', 'citation', 'done'].includes(t)).sort()).toEqual([
      'citation',
      'done',
      'retrieved',
    ]);
    expect(cited).toEqual(['rocks']);
    expect(result.citations.map((c) => [(c as { collection?: string }).collection, c.source])).toEqual([['rocks', 'granite']]);
    // The chat lives in the first listed collection that has documents.
    const chat = await cairn.chats.get(result.chatId ?? '');
    expect([chat.collectionId, chat.messages.length]).toEqual(['trees', 2]);
    const again = await cairn.ask(['trees', 'rocks'], { question: 'And basalt?', chatId: chat.id }).result();
    expect(again.chatId).toBe(chat.id);
  });

  it('answers without streaming too, and refuses a chat of an unlisted collection', async () => {
    const res = await fetch(`${server.url}/v1/ask`, json({ collections: ['trees', 'rocks'], question: 'What builds ships?' }));
    const body = (await res.json()) as { chatId: string; citations: { collection: string; source: string }[] };
    expect([res.status, body.citations.map((c) => [c.collection, c.source])]).toEqual([200, [['trees', 'oak']]]);
    const stray = await fetch(
      `${server.url}/v1/ask`,
      json({ collections: ['rocks'], question: 'What builds ships?', chatId: body.chatId }),
    );
    expect([stray.status, ((await stray.json()) as { error: { code: string } }).error.code]).toEqual([400, 'VALIDATION']);
  });
});

describe('refusals', () => {
  let env: TestEnv | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('needs read on every listed collection; unknown collections are 404; embed keys may not', async () => {
    const e = createTestEnv();
    env = e;
    e.store.collections.create({ name: 'a' });
    e.store.collections.create({ name: 'b' });
    const onlyA = e.store.apiKeys.create({ name: 'a-reader', scopes: { a: ['read'] } }).key;
    const all = e.store.apiKeys.create({ name: 'reader', scopes: { '*': ['read'] } }).key;
    const embed = e.store.apiKeys.createEmbed({ name: 'site', collection: 'a', origins: ['https://site.example'] }).key;
    const embedHeaders = {
      origin: 'https://site.example',
      'sec-fetch-site': 'cross-site',
      'x-cairn-visitor': 'visitor_aaaaaaaa',
    };
    const send = async (key: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await e.app.request(path, json(body, { authorization: `Bearer ${key}`, ...headers }));
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect([
      await send(onlyA, '/v1/search', { collections: ['a', 'b'], query: 'q' }),
      await send(onlyA, '/v1/ask', { collections: ['a', 'b'], question: 'q' }),
      await send(all, '/v1/search', { collections: ['a', 'nope'], query: 'q' }),
      await send(all, '/v1/ask', { collections: [], question: 'q' }),
      await send(embed, '/v1/search', { collections: ['a'], query: 'q' }, embedHeaders),
      await send(embed, '/v1/ask', { collections: ['a'], question: 'q' }, embedHeaders),
    ]).toEqual([
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [404, 'COLLECTION_NOT_FOUND'],
      [400, 'VALIDATION'],
      [403, 'EMBED_KEY_FORBIDDEN'],
      [403, 'EMBED_KEY_FORBIDDEN'],
    ]);
  });
});

describe('fuseCollectionResults', () => {
  const passage = (rowid: number): Passage => ({
    chunkId: `c${rowid}`,
    rowid,
    documentId: `d${rowid}`,
    source: `s${rowid}`,
    title: '',
    page: null,
    headings: [],
    start: 0,
    end: 1,
    text: 't',
    contextStart: 0,
    contextEnd: 1,
    scores: { bm25: rowid },
    metadata: {},
  });
  const result = (rowids: number[], notes: string[] = []): SearchResult => ({
    passages: rowids.map(passage),
    ran: { bm25: true, dense: false, fusion: null, rerank: false },
    notes,
    timings: { total: rowids.length },
  });

  it('interleaves by rank (ties by rowid), cuts at k, prefixes notes and keeps the slowest timing', () => {
    const fused = fuseCollectionResults(['x', 'y'], [result([5, 1, 9], ['no dense']), result([2, 7])], 4);
    expect(fused.passages.map((p) => [p.collection, p.rowid])).toEqual([
      ['y', 2],
      ['x', 5],
      ['x', 1],
      ['y', 7],
    ]);
    expect([fused.notes, fused.timings.total, fused.collections]).toEqual([['x: no dense'], 3, ['x', 'y']]);
  });
});
