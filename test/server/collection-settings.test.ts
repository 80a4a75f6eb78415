import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { silentLogger } from '../../core/index.ts';
import { answer } from '../../generation/index.ts';
import type { Generator } from '../../models/types.ts';
import { search, sqliteSearchDeps } from '../../retrieval/index.ts';
import { createRuntime, type SearchCall, startServer } from '../../server/index.ts';
import { openStore, sqliteDeps } from '../../store/index.ts';
import { createScriptedGenerator, seedStore } from '../generation/helpers.ts';
import { createTestEnv, type TestEnv, testConfig } from './helpers.ts';
import { httpClient } from './mcp-helpers.ts';

// A collection's retrieval and answer settings over REST, on the real search and answer pipeline
// (BM25 only, no reranker; a scripted generator where reflection matters).
let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

// One document each: passages of one document next to each other would merge into one context window.
const DOCS = [1, 2, 3, 4, 5, 6].map((n) => ({
  source: `guide-${n}`,
  paragraphs: [`Cairn ${n} marks the trail above the tree line.`],
}));

function setup(generator: Generator | null = null): TestEnv {
  const e = createTestEnv();
  seedStore('trails', DOCS, e.store);
  const none = { get: async () => null };
  const real = (call: SearchCall) =>
    search(
      { ...sqliteSearchDeps({ store: e.store, ann: none }), config: e.config, embedder: null, reranker: null },
      call as never,
    );
  const services = e.deps.services as { search: unknown; answer: unknown };
  services.search = real;
  services.answer = (call: never, onEvent?: never) =>
    answer(
      { ...sqliteDeps(e.store), config: e.config, generator, search: real, logger: e.deps.logger, spanScorer: null },
      call,
      onEvent,
    );
  return e;
}

async function send(e: TestEnv, method: string, path: string, body: unknown) {
  const res = await e.app.request(path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface SearchBody {
  passages: Passage[];
  effective: unknown;
  notes: string[];
}

describe('collection retrieval settings', () => {
  it('are stored by PATCH, merged field by field, and cleared by null', async () => {
    env = setup();
    const first = await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { mode: 'bm25', k: 2 } });
    const second = await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { rerank: true, mode: null } });
    const bad = await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { k: 0 } });
    expect((first.body.settings as { retrieval: unknown }).retrieval).toEqual({ mode: 'bm25', k: 2 });
    expect((second.body.settings as { retrieval: unknown }).retrieval).toEqual({ k: 2, rerank: true });
    expect([bad.status, (bad.body.error as { code: string }).code]).toEqual([400, 'VALIDATION']);
    const created = await send(env, 'POST', '/v1/collections', { name: 'peaks', answer: { reflect: false } });
    expect([created.status, (created.body.settings as { answer: unknown }).answer]).toEqual([201, { reflect: false }]);
  });

  it('set the mode, k and rerank of a search, and a request option overrides each', async () => {
    env = setup();
    await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { mode: 'bm25', k: 2, rerank: true } });
    const own = (await send(env, 'POST', '/v1/collections/trails/search', { query: 'cairn trail' }))
      .body as unknown as SearchBody;
    expect(own.passages.length).toBe(2);
    expect(own.effective).toEqual({ mode: 'bm25', k: 2, rerank: true });
    expect(own.notes).toEqual(['no reranker available: results not reranked']);
    const asked = { query: 'cairn trail', k: 4, rerank: false, mode: 'hybrid' };
    const over = (await send(env, 'POST', '/v1/collections/trails/search', asked)).body as unknown as SearchBody;
    expect(over.passages.length).toBe(4);
    expect(over.effective).toEqual({ mode: 'hybrid', k: 4, rerank: false });
    expect(over.notes).toEqual(['no vectors in this collection: BM25 only']);
  });

  it('fall back to config when unset', async () => {
    env = setup();
    const plain = (await send(env, 'POST', '/v1/collections/trails/search', { query: 'cairn' })).body as unknown as SearchBody;
    expect(plain.effective).toEqual({
      mode: env.config.retrieval.mode,
      k: env.config.retrieval.k,
      rerank: env.config.retrieval.rerank,
    });
  });
});

interface AskBody {
  retrieval: { mode: string; ran: boolean; search?: unknown };
  models: { grade: string | null };
  notes: string[];
}

describe('collection answer settings', () => {
  it('set the k of an ask, and a request k overrides it', async () => {
    env = setup();
    await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { k: 3, mode: 'bm25' } });
    const own = (await send(env, 'POST', '/v1/collections/trails/ask', { question: 'Where is cairn 2?' }))
      .body as unknown as AskBody;
    expect(own.retrieval.search).toEqual({ mode: 'bm25', k: 3, rerank: env.config.retrieval.rerank });
    const asked = { question: 'Where is cairn 2?', k: 5 };
    const over = (await send(env, 'POST', '/v1/collections/trails/ask', asked)).body as unknown as AskBody;
    expect(over.retrieval.search).toEqual({ mode: 'bm25', k: 5, rerank: env.config.retrieval.rerank });
  });

  it('set retrieve, and a request retrieve overrides it', async () => {
    env = setup();
    await send(env, 'PATCH', '/v1/collections/trails', { answer: { retrieve: 'never' } });
    const own = (await send(env, 'POST', '/v1/collections/trails/ask', { question: 'Where is cairn 2?' }))
      .body as unknown as AskBody;
    expect([own.retrieval.mode, own.retrieval.ran]).toEqual(['never', false]);
    const asked = { question: 'Where is cairn 2?', retrieve: 'always' };
    const over = (await send(env, 'POST', '/v1/collections/trails/ask', asked)).body as unknown as AskBody;
    expect([over.retrieval.mode, over.retrieval.ran]).toEqual(['always', true]);
  });

  it('set reflect, and a request reflect overrides it', async () => {
    const scripted = createScriptedGenerator([{ stream: ['Above ', 'the ', 'line.'] }, { stream: ['Above ', 'the ', 'line.'] }]);
    env = setup(scripted.generator);
    await send(env, 'PATCH', '/v1/collections/trails', { answer: { reflect: false, retrieve: 'never' } });
    const off = (await send(env, 'POST', '/v1/collections/trails/ask', { question: 'Where?' })).body as unknown as AskBody;
    expect(off.models.grade).toBe(null);
    expect(off.notes.includes('Reflection is off: the answer was not checked against its sources.')).toBe(true);
    const on = (await send(env, 'POST', '/v1/collections/trails/ask', { question: 'Where?', reflect: true }))
      .body as unknown as AskBody;
    expect(on.models.grade).toBe('scripted');
    expect(on.notes.includes('Reflection is off: the answer was not checked against its sources.')).toBe(false);
  });
});

describe('the OpenAI-compatible endpoint', () => {
  it("answers with the collection's reflect and retrieve settings", async () => {
    const scripted = createScriptedGenerator([{ stream: ['Above ', 'the ', 'line.'] }]);
    env = setup(scripted.generator);
    await send(env, 'PATCH', '/v1/collections/trails', { answer: { reflect: false, retrieve: 'never' } });
    const body = { model: 'trails', messages: [{ role: 'user', content: 'Where?' }] };
    const out = (await send(env, 'POST', '/v1/chat/completions', body)).body as {
      cairn: { reflection: { models: { grade: string | null }; notes: string[] } };
    };
    expect(out.cairn.reflection.models.grade).toBe(null);
    expect(out.cairn.reflection.notes).toEqual([
      'Reflection is off: the answer was not checked against its sources.',
      'The question was answered without the documents (retrieval was skipped).',
    ]);
  });
});

describe('the MCP search tool', () => {
  it("returns the collection's k passages without a k, and the given k with one", async () => {
    env = setup();
    await send(env, 'PATCH', '/v1/collections/trails', { retrieval: { mode: 'bm25', k: 2 } });
    const client = await httpClient(env);
    const found = async (args: Record<string, unknown>) => {
      const result = await client.callTool({
        name: 'search',
        arguments: { query: 'cairn trail', collections: ['trails'], ...args },
      });
      const out = result.structuredContent as { passages: unknown[]; collections: { trails: { effective: unknown } } };
      return [out.passages.length, out.collections.trails.effective];
    };
    try {
      expect(await found({})).toEqual([2, { mode: 'bm25', k: 2, rerank: env.config.retrieval.rerank }]);
      expect(await found({ k: 4 })).toEqual([4, { mode: 'bm25', k: 4, rerank: env.config.retrieval.rerank }]);
    } finally {
      await client.close();
    }
  });
});

describe('cairn search', () => {
  it("uses the collection's mode and k, and --k overrides k", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'cairn-settings-cli-'));
    const store = openStore({ dataDir: data });
    const seeded = seedStore('trails', DOCS, store).store;
    seeded.collections.update('trails', { settings: { retrieval: { mode: 'bm25', k: 2 } } });
    store.close();
    const run = async (extra: string[]) => {
      const args = [path.resolve('bin/cairn.js'), 'search', 'cairn trail', '-c', 'trails', '--json', '--data', data, '--offline'];
      const { stdout } = await promisify(execFile)('node', [...args, ...extra]);
      const out = JSON.parse(stdout) as { passages: unknown[]; effective: { mode: string; k: number } };
      return [out.passages.length, out.effective.mode, out.effective.k];
    };
    try {
      expect(await run([])).toEqual([2, 'bm25', 2]);
      expect(await run(['--k', '3'])).toEqual([3, 'bm25', 3]);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a search worker', () => {
  it("reads a collection's settings as PATCH leaves them", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'cairn-settings-worker-'));
    seedStore('trails', DOCS, openStore({ dataDir: data })).store.close();
    const config = testConfig(data, {
      offline: true,
      models: { embedder: null, reranker: null, generator: null },
      server: { searchWorkers: 1 },
    });
    const server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
    const call = async (method: string, route: string, body: unknown) => {
      const init = { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      return (await (await fetch(`${server.url}${route}`, init)).json()) as SearchBody;
    };
    try {
      await call('PATCH', '/v1/collections/trails', { retrieval: { mode: 'bm25', k: 2, rerank: false } });
      const own = await call('POST', '/v1/collections/trails/search', { query: 'cairn trail' });
      const over = await call('POST', '/v1/collections/trails/search', { query: 'cairn trail', k: 5 });
      expect([own.passages.length, own.effective]).toEqual([2, { mode: 'bm25', k: 2, rerank: false }]);
      expect([over.passages.length, over.effective]).toEqual([5, { mode: 'bm25', k: 5, rerank: false }]);
    } finally {
      await server.close();
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});
