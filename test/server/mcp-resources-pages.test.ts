import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentId } from '../../core/index.ts';
import { encodeListCursor } from '../../server/mcp/resources.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';
import { httpClient } from './mcp-helpers.ts';

// resources/list pages 100 documents at a time across the collections a caller may read.
let env: TestEnv;
let client: Client;

const sources = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
const uris = (collection: string, names: string[]) =>
  names.map((name) => `cairn://${collection}/${documentId(collection, name)}`);

async function ingest(collection: string, names: string[]): Promise<void> {
  await env.deps.services.ingest({
    collection,
    sources: names.map((name) => ({ kind: 'text' as const, text: `Note ${name} about stones.`, title: name, source: name })),
  });
}

beforeEach(async () => {
  env = createTestEnv();
  await ingest('beta', sources('b', 110));
  await ingest('alpha', sources('a', 100));
  client = await httpClient(env);
});

afterEach(async () => {
  await client.close();
  await env.cleanup();
});

describe('MCP resources/list pages', () => {
  it('lists every document once, 100 a page, collections in name order, with a cursor to the next page', async () => {
    // Without a cursor the SDK's client walks every page itself and returns them together.
    const all = await client.listResources();
    expect([all.resources.map((r) => r.uri), all.nextCursor]).toEqual([
      [...uris('alpha', sources('a', 100)), ...uris('beta', sources('b', 110))],
      undefined,
    ]);
    // With one, it asks for that page alone: here the pages as the server cuts them.
    const first = await client.listResources({ cursor: encodeListCursor({ collection: 'alpha', offset: 0 }) });
    const second = await client.listResources({ cursor: first.nextCursor as string });
    const third = await client.listResources({ cursor: second.nextCursor as string });
    expect([first.resources.length, second.resources.length, third.resources.length]).toEqual([100, 100, 10]);
    expect([...first.resources, ...second.resources, ...third.resources].map((r) => r.uri)).toEqual(
      all.resources.map((r) => r.uri),
    );
    expect([first.nextCursor, second.nextCursor, third.nextCursor]).toEqual([
      encodeListCursor({ collection: 'beta', offset: 0 }),
      encodeListCursor({ collection: 'beta', offset: 100 }),
      undefined,
    ]);
    expect(first.resources[0]).toEqual({
      uri: uris('alpha', ['a-000'])[0],
      name: 'a-000',
      title: 'a-000',
      description: 'alpha: a-000 (24 characters)',
      mimeType: 'text/plain',
    });
  });

  it('goes on from the next collection when the cursor names one deleted since', async () => {
    const cursor = encodeListCursor({ collection: 'alpha', offset: 40 });
    await env.deps.store.collections.remove('alpha');
    const page = await client.listResources({ cursor });
    expect([page.resources.map((r) => r.uri), page.nextCursor]).toEqual([
      uris('beta', sources('b', 100)),
      encodeListCursor({ collection: 'beta', offset: 100 }),
    ]);
  });

  it('refuses a cursor it did not make as invalid params', async () => {
    const error = (await client.listResources({ cursor: 'not-a-cursor' }).catch((e: unknown) => e)) as {
      code: number;
      message: string;
    };
    expect([error.code, error.message]).toEqual([-32602, 'Unknown resources/list cursor: not-a-cursor']);
  });
});
