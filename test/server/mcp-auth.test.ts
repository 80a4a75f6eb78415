import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from './helpers.ts';
import { GRANITE, httpClient, textOf } from './mcp-helpers.ts';

let env: TestEnv;
let readKey: string;
let writeKey: string;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(headers: Record<string, string>) {
  return env.app.fetch(
    new Request('http://127.0.0.1:8787/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(INITIALIZE),
    }),
  );
}

beforeEach(async () => {
  env = createTestEnv();
  await env.deps.services.ingest({ collection: 'rocks', sources: [{ kind: 'text', text: GRANITE, source: 'granite-note' }] });
  await env.deps.services.ingest({
    collection: 'secret',
    sources: [{ kind: 'text', text: 'Hidden granite.', source: 'hidden' }],
  });
  readKey = env.store.apiKeys.create({ name: 'reader', scopes: { rocks: ['read'] } }).key;
  writeKey = env.store.apiKeys.create({ name: 'writer', scopes: { rocks: ['write'] } }).key;
});

afterEach(async () => {
  await env.cleanup();
});

describe('POST /mcp behind the API keys, scopes, Host and Origin checks', () => {
  it('refuses a request without a key once keys exist, and serves one with a key', async () => {
    const res = await post({});
    const keyed = await post({ authorization: `Bearer ${readKey}` });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code, keyed.status]).toEqual([
      401,
      'UNAUTHORIZED',
      200,
    ]);
  });

  it('a read key can search but cannot ingest', async () => {
    const client = await httpClient(env, { authorization: `Bearer ${readKey}` });
    const search = await client.callTool({ name: 'search', arguments: { query: 'granite', collections: ['rocks'] } });
    const ingest = await client.callTool({ name: 'ingest', arguments: { collection: 'rocks', text: 'New text.' } });
    await client.close();
    expect([search.isError ?? false, ingest.isError, textOf(ingest)]).toEqual([
      false,
      true,
      'FORBIDDEN: The API key needs the "write" scope on collection "rocks"',
    ]);
    expect(env.store.jobs.list({ limit: 10 })).toEqual([]);
  });

  it('a write key can ingest', async () => {
    const client = await httpClient(env, { authorization: `Bearer ${writeKey}` });
    const ingest = await client.callTool({ name: 'ingest', arguments: { collection: 'rocks', text: 'New text.' } });
    await client.close();
    expect([ingest.isError ?? false, (ingest.structuredContent as { job: { status: string } }).job.status]).toEqual([
      false,
      'queued',
    ]);
  });

  it('a key sees only the collections it may read', async () => {
    const client = await httpClient(env, { authorization: `Bearer ${readKey}` });
    const list = await client.callTool({ name: 'list_collections', arguments: {} });
    const other = await client.callTool({ name: 'search', arguments: { query: 'granite', collections: ['secret'] } });
    const instructions = client.getInstructions();
    await client.close();
    expect([
      (list.structuredContent as { collections: { name: string }[] }).collections.map((c) => c.name),
      textOf(other),
      instructions?.includes('secret'),
    ]).toEqual([['rocks'], 'FORBIDDEN: The API key needs the "read" scope on collection "secret"', false]);
  });

  it('refuses a rebound Host and a foreign browser Origin before anything runs', async () => {
    const rebound = await post({ host: 'evil.example:8787', authorization: `Bearer ${writeKey}` });
    const foreign = await post({ origin: 'https://evil.example', authorization: `Bearer ${writeKey}` });
    const own = await post({ origin: 'http://127.0.0.1:8787', authorization: `Bearer ${writeKey}` });
    expect([rebound.status, foreign.status, own.status]).toEqual([421, 403, 200]);
  });
});
