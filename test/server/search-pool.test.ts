import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, documentId, hashContent, isCairnError, silentLogger } from '../../core/index.ts';
import { createLexicalIndexCache } from '../../retrieval/index.ts';
import {
  createApp,
  createRuntime,
  createSearchPool,
  type Runtime,
  resolveSearchWorkers,
  type SearchPool,
  startServer,
} from '../../server/index.ts';
import type { Store } from '../../store/index.ts';
import { writeTinyEmbedder, writeTinyReranker } from '../fixtures/make-models.ts';
import { createTestEnv, json, testConfig } from './helpers.ts';

const TEXTS: Record<string, string> = {
  'granite.txt': 'Granite is a coarse igneous rock made of quartz, feldspar and mica.',
  'basalt.txt': 'Basalt is a fine-grained volcanic rock rich in iron and magnesium.',
  'cairn.txt': 'A cairn is a pile of stones that marks a path across the hills.',
};

function writeText(store: Store, source: string, text: string): void {
  const id = documentId('rocks', source);
  store.documents.write(
    {
      id,
      collectionId: 'rocks',
      source,
      mime: 'text/plain',
      title: source,
      language: 'en',
      contentHash: hashContent(text),
      text,
      pages: [],
      metadata: {},
      tags: [],
      bytes: text.length,
    },
    [{ id: `${id}:0`, ordinal: 0, text, start: 0, end: text.length, page: null, headings: [], tokenCount: 0, metadata: {} }],
  );
}

const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const withoutTimings = ({ timings: _timings, ...rest }: { timings: unknown }) => rest;

describe('search workers (real worker threads over the real runtime)', () => {
  let dataDir: string;
  let config: Config;
  let runtime: Runtime;
  let pool: SearchPool;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pool-'));
    config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
    runtime = await createRuntime(config, silentLogger);
    runtime.embedded!.collections.create({ name: 'rocks' });
    for (const [source, text] of Object.entries(TEXTS)) writeText(runtime.embedded!, source, text);
    pool = createSearchPool({ config, size: 2, logger: silentLogger });
  });

  afterAll(async () => {
    await pool.close();
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers as the in-thread search does, as UTF-8 JSON', async () => {
    const call = { collection: 'rocks', query: 'volcanic rock iron', mode: 'bm25' as const, k: 2 };
    const [remote, local] = await Promise.all([pool.searchJson(call), runtime.services.search(call)]);
    expect(remote).toBeInstanceOf(Uint8Array);
    expect(withoutTimings(decode(remote))).toEqual(withoutTimings(JSON.parse(JSON.stringify(local))));
    expect(decode(remote).passages.map((p: { source: string }) => p.source)).toEqual(['basalt.txt', 'granite.txt']);
  });

  it('spreads concurrent searches over the workers and answers each one', async () => {
    const queries = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'quartz feldspar' : 'pile of stones'));
    const results = await Promise.all(queries.map((query) => pool.search({ collection: 'rocks', query, mode: 'bm25', k: 1 })));
    expect(results.map((r) => r.passages[0]?.source)).toEqual(
      queries.map((q) => (q === 'quartz feldspar' ? 'granite.txt' : 'cairn.txt')),
    );
  });

  it('sees documents written by another connection after it started', async () => {
    writeText(runtime.embedded!, 'obsidian.txt', 'Obsidian is volcanic glass that forms when lava cools quickly.');
    const result = await pool.search({ collection: 'rocks', query: 'obsidian glass', mode: 'bm25', k: 1 });
    expect(result.passages.map((p) => p.source)).toEqual(['obsidian.txt']);
  });

  it('turns errors in the worker into the same typed errors', async () => {
    const error = await pool.searchJson({ collection: 'nope', query: 'rock' }).catch((e: unknown) => e);
    expect(isCairnError(error) && [error.code, error.status]).toEqual(['COLLECTION_NOT_FOUND', 404]);
    const bad = await pool.searchJson({ collection: 'rocks', query: 'rock', filter: { mime: 7 } }).catch((e: unknown) => e);
    expect(isCairnError(bad) && bad.code).toBe('VALIDATION');
  });

  it('workers start from the saved BM25 file (one shared copy) and answer as the in-thread search', async () => {
    const saver = createLexicalIndexCache({ dataDir: config.dataDir });
    saver.get(runtime.embedded!, 'rocks');
    await saver.close();
    expect(saver.saves).toBe(1);
    const other = createSearchPool({ config, size: 2, logger: silentLogger });
    try {
      const call = { collection: 'rocks', query: 'volcanic glass rock', mode: 'bm25' as const, k: 3 };
      const [one, two, local] = await Promise.all([other.search(call), other.search(call), runtime.services.search(call)]);
      expect(withoutTimings(one)).toEqual(withoutTimings(JSON.parse(JSON.stringify(local))));
      expect(withoutTimings(two)).toEqual(withoutTimings(one));
    } finally {
      await other.close();
    }
  });

  it('closes: the workers end and the pool says it is unavailable', async () => {
    const other = createSearchPool({ config, size: 1, logger: silentLogger });
    await other.search({ collection: 'rocks', query: 'granite', mode: 'bm25', k: 1 });
    expect(other.available).toBe(true);
    await other.close();
    expect(other.available).toBe(false);
  });
});

describe('search workers with models (tiny ONNX embedder and cross-encoder)', () => {
  it('embed the query, fuse, rerank and answer exactly as the in-thread search', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pool-models-'));
    const models = {
      embedder: writeTinyEmbedder(path.join(dataDir, 'tiny-embedder')),
      reranker: writeTinyReranker(path.join(dataDir, 'tiny-reranker')),
      generator: null,
    };
    const config = testConfig(dataDir, { offline: true, models });
    const runtime = await createRuntime(config, silentLogger);
    const pool = createSearchPool({ config, size: 1, logger: silentLogger });
    try {
      const sources = Object.entries(TEXTS).map(([source, text]) => ({ kind: 'text' as const, text, source, title: source }));
      const ingested = await runtime.services.ingest({ collection: 'rocks', sources });
      expect([ingested.added, ingested.failed]).toEqual([3, []]);
      const call = { collection: 'rocks', query: 'volcanic rock', mode: 'hybrid' as const, k: 3, rerank: true };
      const [remote, local] = await Promise.all([pool.search(call), runtime.services.search(call)]);
      expect(remote.ran).toEqual({ bm25: true, dense: true, fusion: 'convex', rerank: true });
      expect(withoutTimings(remote)).toEqual(withoutTimings(JSON.parse(JSON.stringify(local))));
      expect((await pool.components())?.reranker).toEqual({ available: true, detail: models.reranker });
    } finally {
      await pool.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a server with a search worker', () => {
  it('loads the reranker only in the worker and reports its state from there', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pool-serve-'));
    const reranker = writeTinyReranker(path.join(dataDir, 'tiny-reranker'));
    const config = testConfig(dataDir, {
      offline: true,
      models: { embedder: null, reranker, generator: null },
      server: { searchWorkers: 1 },
    });
    const runtime = await createRuntime(config, silentLogger);
    const server = await startServer(config, silentLogger, runtime);
    try {
      await expect
        .poll(async () => (await server.components()).reranker, { timeout: 20_000 })
        .toEqual({
          available: true,
          detail: reranker,
        });
      // The server's own thread never loaded it.
      expect((await runtime.services.components()).reranker).toEqual({
        available: false,
        detail: `${reranker}: loading (results are not reranked)`,
      });
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a worker that cannot start', () => {
  it('leaves the pool unavailable (searches then run in-thread) and rejects what was sent to it', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pool-bad-'));
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const pool = createSearchPool({
      config: testConfig(dataDir),
      size: 1,
      logger,
      workerUrl: new URL('data:text/javascript,throw new Error("no loader")'),
    });
    try {
      const sent = await pool.searchJson({ collection: 'rocks', query: 'granite' }).catch((e: unknown) => e);
      expect(isCairnError(sent) && [sent.code, sent.message]).toEqual(['INTERNAL', 'The search worker stopped']);
      expect([pool.available, warnings]).toEqual([false, ['search worker could not start; searching in-thread']]);
      const after = await pool.searchJson({ collection: 'rocks', query: 'granite' }).catch((e: unknown) => e);
      expect(isCairnError(after) && after.message).toBe('No search worker is running');
    } finally {
      await pool.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a worker that dies after starting', () => {
  it('rejects the searches it held and is started again', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pool-crash-'));
    const warnings: string[] = [];
    // Ready at once; the first search it gets ends the thread, as a crash would.
    const crashing = [
      "import { parentPort } from 'node:worker_threads';",
      "parentPort.on('message', () => process.exit(3));",
      "parentPort.postMessage({ type: 'ready' });",
    ].join('\n');
    const pool = createSearchPool({
      config: testConfig(dataDir),
      size: 1,
      logger: { ...silentLogger, warn: (message: string) => warnings.push(message) },
      workerUrl: new URL(`data:text/javascript,${encodeURIComponent(crashing)}`),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const lost = await pool.searchJson({ collection: 'rocks', query: 'granite' }).catch((e: unknown) => e);
      expect(isCairnError(lost) && lost.message).toBe('The search worker stopped');
      expect([warnings, pool.available]).toEqual([['search worker exited; restarted'], true]);
    } finally {
      await pool.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('resolveSearchWorkers', () => {
  it('auto takes the cores beyond the first, one to four; a number is taken as given', () => {
    expect([1, 2, 3, 8, 64].map((cores) => resolveSearchWorkers('auto', cores))).toEqual([1, 1, 2, 4, 4]);
    expect([resolveSearchWorkers(0, 8), resolveSearchWorkers(6, 2)]).toEqual([0, 6]);
  });
});

describe('the search route with a pool', () => {
  it('writes out the bytes the worker encoded, and searches in-thread when no worker runs', async () => {
    const env = createTestEnv();
    try {
      env.store.collections.create({ name: 'rocks' });
      const bytes = new TextEncoder().encode('{"passages":[],"ran":{},"notes":["from the worker"],"timings":{}}');
      const calls: unknown[] = [];
      let available = true;
      const app = createApp({
        ...env.deps,
        searchPool: {
          get available() {
            return available;
          },
          searchJson: async (call) => {
            calls.push(call);
            return bytes;
          },
        },
      });
      const viaWorker = await app.request('/v1/collections/rocks/search', json({ query: 'granite', k: 3 }));
      expect([viaWorker.status, viaWorker.headers.get('content-type'), await viaWorker.text()]).toEqual([
        200,
        'application/json',
        new TextDecoder().decode(bytes),
      ]);
      expect(calls).toEqual([{ collection: 'rocks', query: 'granite', k: 3 }]);
      available = false;
      const inThread = await app.request('/v1/collections/rocks/search', json({ query: 'granite' }));
      expect(((await inThread.json()) as { notes: string[] }).notes).toEqual(['fake search']);
      expect(calls.length).toBe(1);
    } finally {
      await env.cleanup();
    }
  });
});
