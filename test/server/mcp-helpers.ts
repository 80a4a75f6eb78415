import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { documentId, hashContent } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import type { TestEnv } from './helpers.ts';

export const GRANITE =
  'Granite is an intrusive igneous rock rich in quartz and feldspar. It forms from slowly cooling magma deep underground.';
export const BOOK_PAGES = ['Page one talks about basalt columns.', 'Page two talks about obsidian glass.'];

/** A two-page document written straight to the store, so page reads have pages to find. */
export function writePagedDocument(store: Store, collection: string): string {
  const text = BOOK_PAGES.join('\n');
  const id = documentId(collection, 'book.pdf');
  const second = BOOK_PAGES[0]?.length ?? 0;
  store.documents.write(
    {
      id,
      collectionId: collection,
      source: 'book.pdf',
      mime: 'application/pdf',
      title: 'Rock book',
      language: 'en',
      contentHash: hashContent(text),
      text,
      pages: [
        { page: 1, start: 0, end: second },
        { page: 2, start: second + 1, end: text.length },
      ],
      metadata: {},
      tags: [],
      bytes: text.length,
    },
    [{ id: `${id}:0`, ordinal: 0, text, start: 0, end: text.length, page: 1, headings: [], tokenCount: 1, metadata: {} }],
  );
  return id;
}

/** The official MCP client over Streamable HTTP, sending its requests straight into the hono app. */
export async function httpClient(env: TestEnv, headers: Record<string, string> = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:8787/mcp'), {
    requestInit: { headers },
    fetch: async (url, init) => env.app.fetch(new Request(url, init)),
  });
  const client = new Client({ name: 'cairn-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** The text of a tool result's content blocks. */
export function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
}
