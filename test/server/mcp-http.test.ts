import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentId } from '../../core/index.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';
import { BOOK_PAGES, GRANITE, httpClient, textOf, writePagedDocument } from './mcp-helpers.ts';

let env: TestEnv;
let client: Client;
const graniteId = documentId('rocks', 'granite-note');

beforeEach(async () => {
  env = createTestEnv();
  await env.deps.services.ingest({
    collection: 'rocks',
    sources: [{ kind: 'text', text: GRANITE, title: 'Granite', source: 'granite-note' }],
  });
  env.store.collections.update('rocks', { description: 'Notes on rocks' });
  client = await httpClient(env);
});

afterEach(async () => {
  await client.close();
  await env.cleanup();
});

describe('MCP over Streamable HTTP (POST /mcp)', () => {
  it('lists the tools, read-only ones marked, with instructions naming the collections', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => [t.name, t.annotations?.readOnlyHint])).toEqual([
      ['list_collections', true],
      ['list_documents', true],
      ['get_document', true],
      ['search', true],
      ['ask', true],
      ['ingest', false],
      ['job_status', true],
    ]);
    expect(Object.keys(tools.find((t) => t.name === 'ask')?.outputSchema?.properties ?? {})).toEqual([
      'collection',
      'question',
      'decision',
      'answer',
      'abstainReason',
      'complete',
      'mode',
      'citations',
      'reflection',
      'closestPassages',
      'chatId',
      'notes',
    ]);
    expect(client.getInstructions()?.split('\n').slice(0, 2)).toEqual([
      'Cairn searches and answers from these document collections:',
      '- rocks (1 documents): Notes on rocks',
    ]);
  });

  it('list_collections gives names, descriptions, counts and models', async () => {
    const result = await client.callTool({ name: 'list_collections', arguments: {} });
    const { models: _models, ...rocks } =
      (result.structuredContent as { collections: Record<string, unknown>[] }).collections[0] ?? {};
    expect([rocks, textOf(result)]).toEqual([
      { name: 'rocks', description: 'Notes on rocks', documents: 1, chunks: 1 },
      '- rocks: 1 documents, 1 chunks — Notes on rocks',
    ]);
  });

  it('search returns passages with document id, offsets and scores', async () => {
    const result = await client.callTool({ name: 'search', arguments: { query: 'quartz', collections: ['rocks'], k: 3 } });
    const passages = (result.structuredContent as { passages: Record<string, unknown>[] }).passages;
    expect(passages.map((p) => [p.collection, p.documentId, p.start, p.end, p.scores])).toEqual([
      ['rocks', graniteId, 0, GRANITE.length, { bm25: 1 }],
    ]);
    expect(textOf(result).split('\n')[0]).toBe(`[1] rocks/${graniteId} — Granite, characters 0–${GRANITE.length}`);
  });

  it('ask answers with citations and sends progress notifications while it runs', async () => {
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'ask', arguments: { question: 'What is granite rich in?', collection: 'rocks' } },
      { onprogress: (p) => progress.push({ progress: p.progress, ...(p.message ? { message: p.message } : {}) }) },
    );
    const body = result.structuredContent as { decision: string; citations: Record<string, unknown>[]; chatId: string };
    expect(progress).toEqual([
      { progress: 1, message: 'retrieved 1 passages' },
      { progress: 2, message: 'releasing the checked answer' },
    ]);
    expect([body.decision, body.citations.map((c) => [c.marker, c.documentId, c.start, c.end, c.quote])]).toEqual([
      'answered',
      [[1, graniteId, 0, GRANITE.length, GRANITE]],
    ]);
    expect(textOf(result)).toBe(
      `Granite is an intrusive igneous rock rich in quartz and feldspar. [1]\n\nSources:\n[1] ${graniteId} — Granite, characters 0–${GRANITE.length}: "${GRANITE}"`,
    );
  });

  it('list_documents pages the documents of a collection', async () => {
    const bookId = writePagedDocument(env.store, 'rocks');
    const result = await client.callTool({ name: 'list_documents', arguments: { collection: 'rocks', limit: 1 } });
    const body = result.structuredContent as { total: number; nextOffset: number | null; documents: { id: string }[] };
    expect([body.total, body.nextOffset, body.documents.length]).toEqual([2, 1, 1]);
    expect([graniteId, bookId]).toContain(body.documents[0]?.id);
  });

  it('get_document reads a range, pages a long read, and reads one page', async () => {
    const range = await client.callTool({
      name: 'get_document',
      arguments: { collection: 'rocks', documentId: graniteId, start: 8, end: 60, maxChars: 10 },
    });
    const body = range.structuredContent as Record<string, unknown>;
    expect([body.text, body.start, body.end, body.nextStart, body.requestedEnd]).toEqual([GRANITE.slice(8, 18), 8, 18, 18, 60]);
    expect(textOf(range).split('\n').at(-1)).toBe('[42 more characters in this range: read on with start=18, end=60]');
    const bookId = writePagedDocument(env.store, 'rocks');
    const page = await client.callTool({ name: 'get_document', arguments: { collection: 'rocks', documentId: bookId, page: 2 } });
    expect((page.structuredContent as { text: string; page: number }).text).toBe(BOOK_PAGES[1]);
  });

  it('reads a document resource, with the same range options', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['cairn://{collection}/{documentId}']);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([`cairn://rocks/${graniteId}`]);
    const read = await client.readResource({ uri: `cairn://rocks/${graniteId}?start=0&end=7` });
    expect(read.contents.map((c) => ('text' in c ? c.text : ''))).toEqual([
      `Granite (${graniteId}): characters 0–7 of ${GRANITE.length}\n\nGranite`,
    ]);
  });

  it('a missing document resource is not found; a bad range is invalid params', async () => {
    const failure = async (uri: string) => {
      const error = (await client.readResource({ uri }).catch((e: unknown) => e)) as { code: number; message: string };
      return [error.code, error.message];
    };
    expect([await failure('cairn://rocks/nope'), await failure(`cairn://rocks/${graniteId}?start=-1`)]).toEqual([
      [-32602, 'DOCUMENT_NOT_FOUND: No document nope in collection "rocks"'],
      [-32602, 'VALIDATION: Bad range in the resource URI: start: Too small: expected number to be >=0'],
    ]);
  });

  it('ingest returns the job and job_status follows it to the end', async () => {
    const result = await client.callTool({
      name: 'ingest',
      arguments: { collection: 'rocks', text: 'Obsidian is volcanic glass.', source: 'obsidian' },
    });
    const { jobId } = result.structuredContent as { jobId: string };
    await env.deps.jobs.idle();
    const status = await client.callTool({ name: 'job_status', arguments: { jobId } });
    const job = (status.structuredContent as { job: { status: string; progress: object } }).job;
    expect([job.status, job.progress, env.store.documents.get(documentId('rocks', 'obsidian'))?.text]).toEqual([
      'succeeded',
      { documentsDone: 1, documentsTotal: 1, chunksDone: 1, chunksTotal: 1 },
      'Obsidian is volcanic glass.',
    ]);
  });

  it('is described in /openapi.json', async () => {
    const spec = (await (await env.app.request('http://127.0.0.1:8787/openapi.json')).json()) as {
      paths: Record<string, Record<string, { tags: string[] }>>;
    };
    expect([Object.keys(spec.paths['/mcp'] ?? {}), spec.paths['/mcp']?.post?.tags]).toEqual([['post'], ['MCP']]);
  });

  it('a missing collection is an error result with its code, not a protocol error', async () => {
    const result = await client.callTool({ name: 'search', arguments: { query: 'quartz', collections: ['nope'] } });
    expect([result.isError, textOf(result), (result.structuredContent as { error: { code: string } }).error.code]).toEqual([
      true,
      'COLLECTION_NOT_FOUND: No collection named "nope"',
      'COLLECTION_NOT_FOUND',
    ]);
  });
});
