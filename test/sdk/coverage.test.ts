import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

/**
 * Every operation in /openapi.json and the SDK method that performs it. An operation the server
 * gains without an entry here fails the first test: add the method to sdk/ and a line here.
 */
type Invoke = (cairn: Cairn) => Promise<unknown> | AsyncIterable<unknown>;
type Mapping = { sdk: string; invoke: Invoke } | { openaiClient: string } | { notAnApi: string };

const OPERATIONS: Record<string, Mapping> = {
  'get /health': { sdk: 'health', invoke: (c) => c.health() },
  'get /metrics': { sdk: 'metrics', invoke: (c) => c.metrics() },
  'get /openapi.json': { sdk: 'openapi', invoke: (c) => c.openapi() },
  'get /v1/collections': { sdk: 'collections.list', invoke: (c) => c.collections.list() },
  'post /v1/collections': { sdk: 'collections.create', invoke: (c) => c.collections.create({ name: 'x' }) },
  'get /v1/collections/{collection}': { sdk: 'collections.get', invoke: (c) => c.collections.get('x') },
  'patch /v1/collections/{collection}': { sdk: 'collections.update', invoke: (c) => c.collections.update('x', {}) },
  'delete /v1/collections/{collection}': { sdk: 'collections.delete', invoke: (c) => c.collections.delete('x') },
  'post /v1/collections/{collection}/documents': { sdk: 'documents.add', invoke: (c) => c.documents.add('x', { text: 't' }) },
  'get /v1/collections/{collection}/documents': { sdk: 'documents.list', invoke: (c) => c.documents.list('x') },
  'get /v1/collections/{collection}/documents/{id}': { sdk: 'documents.get', invoke: (c) => c.documents.get('x', 'd') },
  'put /v1/collections/{collection}/documents/{id}': {
    sdk: 'documents.replace',
    invoke: (c) => c.documents.replace('x', 'd', new Blob(['b'])),
  },
  'delete /v1/collections/{collection}/documents/{id}': { sdk: 'documents.delete', invoke: (c) => c.documents.delete('x', 'd') },
  'post /v1/collections/{collection}/documents/{id}/reingest': {
    sdk: 'documents.reingest',
    invoke: (c) => c.documents.reingest('x', 'd'),
  },
  'get /v1/collections/{collection}/documents/{id}/text': { sdk: 'documents.text', invoke: (c) => c.documents.text('x', 'd') },
  'get /v1/collections/{collection}/documents/{id}/file': { sdk: 'documents.file', invoke: (c) => c.documents.file('x', 'd') },
  'post /v1/collections/{collection}/search': { sdk: 'search', invoke: (c) => c.search('x', { query: 'q' }) },
  'post /v1/collections/{collection}/ask': { sdk: 'ask', invoke: (c) => c.ask('x', { question: 'q' }) },
  'post /v1/search': { sdk: 'search', invoke: (c) => c.search(['x', 'y'], { query: 'q' }) },
  'post /v1/ask': { sdk: 'ask', invoke: (c) => c.ask(['x', 'y'], { question: 'q' }) },
  'post /v1/collections/{collection}/sql': { sdk: 'tables.sql', invoke: (c) => c.tables.sql('x', 'SELECT 1') },
  'get /v1/collections/{collection}/tables': { sdk: 'tables.list', invoke: (c) => c.tables.list('x') },
  'get /v1/jobs': { sdk: 'jobs.list', invoke: (c) => c.jobs.list() },
  'get /v1/jobs/{id}': { sdk: 'jobs.get', invoke: (c) => c.jobs.get('j') },
  'get /v1/jobs/{id}/events': { sdk: 'jobs.events', invoke: (c) => c.jobs.events('j') },
  'post /v1/jobs/{id}/cancel': { sdk: 'jobs.cancel', invoke: (c) => c.jobs.cancel('j') },
  'get /v1/chats': { sdk: 'chats.list', invoke: (c) => c.chats.list() },
  'get /v1/chats/{id}': { sdk: 'chats.get', invoke: (c) => c.chats.get('c') },
  'patch /v1/chats/{id}': { sdk: 'chats.update', invoke: (c) => c.chats.update('c', { title: 't' }) },
  'delete /v1/chats/{id}': { sdk: 'chats.delete', invoke: (c) => c.chats.delete('c') },
  'post /v1/chats/{id}/turns/{n}/feedback': { sdk: 'chats.feedback', invoke: (c) => c.chats.feedback('c', 1, { rating: 'up' }) },
  'get /v1/keys': { sdk: 'keys.list', invoke: (c) => c.keys.list() },
  'post /v1/keys': { sdk: 'keys.create', invoke: (c) => c.keys.create({ name: 'k', scopes: ['*:admin'] }) },
  'delete /v1/keys/{id}': { sdk: 'keys.revoke', invoke: (c) => c.keys.revoke('key_1') },
  // The OpenAI-compatible surface is for the official openai client: `new OpenAI(cairn.openai())`.
  'get /v1/models': { openaiClient: 'models.list' },
  'get /v1/models/{model}': { openaiClient: 'models.retrieve' },
  'post /v1/chat/completions': { openaiClient: 'chat.completions.create' },
  'post /v1/embeddings': { openaiClient: 'embeddings.create' },
  // Pages and scripts for browsers, not API operations.
  'get /': { notAnApi: 'the chat UI page' },
  'get /docs': { notAnApi: 'a page that renders /openapi.json' },
  'get /sdk.js': { notAnApi: 'this SDK as a script' },
  'get /embed.js': { notAnApi: 'the widget script' },
  // The Model Context Protocol endpoint is for MCP clients (cairn mcp), not this SDK.
  'post /mcp': { notAnApi: 'the MCP Streamable HTTP endpoint' },
};

let running: SdkServer;
beforeAll(async () => {
  running = await startSdkServer();
});
afterAll(() => running.close());

/** Performs one call with a fetch that records the first request and answers every request with an empty success. */
async function firstRequest(invoke: Invoke): Promise<string> {
  const seen: string[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(`${(init?.method ?? 'GET').toLowerCase()} ${new URL(String(input)).pathname}`);
    const headers = { 'content-type': 'application/json' };
    return new Response(JSON.stringify({ collections: [], jobs: [], chats: [], job: {} }), { status: 200, headers });
  }) as typeof globalThis.fetch;
  const outcome = invoke(new Cairn({ baseUrl: 'http://cairn.test', fetch, maxRetries: 0 }));
  if (Symbol.asyncIterator in outcome) {
    for await (const _event of outcome as AsyncIterable<unknown>) break;
  } else await outcome;
  return seen[0] ?? '';
}

function matches(template: string, request: string): boolean {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(request);
}

describe('the SDK covers the API', () => {
  it('maps every operation of /openapi.json to an SDK method (or names why not)', async () => {
    const spec = (await (await fetch(`${running.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    const unmapped = operations.filter((operation) => OPERATIONS[operation] === undefined);
    expect(unmapped).toEqual([]);
    expect(operations.length).toBeGreaterThanOrEqual(28);
  });

  it('each mapped method exists and sends exactly that operation', async () => {
    const cairn = new Cairn({ baseUrl: 'http://cairn.test' });
    for (const [operation, mapping] of Object.entries(OPERATIONS)) {
      if (!('sdk' in mapping)) continue;
      const method = mapping.sdk.split('.').reduce<unknown>((owner, name) => (owner as Record<string, unknown>)?.[name], cairn);
      expect([operation, typeof method]).toEqual([operation, 'function']);
      const request = await firstRequest(mapping.invoke);
      expect([operation, matches(operation, request)]).toEqual([operation, true]);
    }
  });

  it('hands the official openai client what it needs for the OpenAI-compatible operations', async () => {
    const cairn = new Cairn({ baseUrl: running.url });
    await cairn.collections.create({ name: 'compat' });
    const openai = new OpenAI(cairn.openai());
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain('compat');
    expect((await openai.models.retrieve('compat')).id).toBe('compat');
  });
});
