import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentId, silentLogger } from '../../core/index.ts';
import { createRuntime } from '../../server/index.ts';
import { claimStdout } from '../../server/mcp/index.ts';
import { testConfig } from './helpers.ts';
import { GRANITE, textOf } from './mcp-helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/cairn.js');
// No network and no models in the child: BM25 search and the extractive answerer.
const CHILD_ENV = { CAIRN_OFFLINE: '1', CAIRN_EMBEDDER: 'none', CAIRN_RERANKER: 'none', CAIRN_GENERATOR: 'none' };
let dataDir: string;
const graniteId = documentId('rocks', 'granite-note');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-mcp-stdio-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  const rt = await createRuntime(config, silentLogger);
  await rt.services.ingest({
    collection: 'rocks',
    sources: [{ kind: 'text', text: GRANITE, title: 'Granite', source: 'granite-note' }],
  });
  await rt.services.ingest({ collection: 'other', sources: [{ kind: 'text', text: 'Other granite text.', source: 'other' }] });
  await rt.close();
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith('CAIRN_')) env[name] = value;
  return { ...env, ...CHILD_ENV };
}

/** Sends raw JSON-RPC lines, closes stdin after the last answer, and collects every stdout line. */
function rawSession(messages: object[], expectedAnswers: number): Promise<{ lines: string[]; code: number | null }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'mcp', '--data', dataDir], { cwd: ROOT, env: childEnv() });
  let out = '';
  let answers = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    answers = out.split('\n').filter((line) => line.includes('"id"') && line.includes('"result"')).length;
    if (answers >= expectedAnswers) child.stdin?.end();
  });
  for (const message of messages) child.stdin?.write(`${JSON.stringify(message)}\n`);
  return new Promise((resolve) => child.on('close', (code) => resolve({ lines: out.split('\n').filter((l) => l !== ''), code })));
}

describe('cairn mcp over stdio', () => {
  it('writes nothing but JSON-RPC messages on stdout, progress before the result, and exits 0 when stdin closes', async () => {
    const { lines, code } = await rawSession(
      [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name: 'search', arguments: { query: 'quartz', collections: ['rocks'] } },
        },
        {
          jsonrpc: '2.0',
          id: 4,
          method: 'tools/call',
          params: {
            name: 'ask',
            arguments: { question: 'What is granite rich in?', collection: 'rocks' },
            _meta: { progressToken: 'ask-1' },
          },
        },
      ],
      4,
    );
    const parsed = lines.map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; method?: string; params?: object });
    // Requests run concurrently: the answers come in any order, the ask's progress always before its result.
    const ask = parsed.filter((m) => m.id === 4 || m.method !== undefined).map((m) => [m.id ?? m.method, m.params]);
    expect([code, parsed.every((m) => m.jsonrpc === '2.0'), parsed.map((m) => m.id ?? 0).sort((a, b) => a - b), ask]).toEqual([
      0,
      true,
      [0, 0, 1, 2, 3, 4],
      [
        ['notifications/progress', { progressToken: 'ask-1', progress: 1, message: 'retrieved 1 passages' }],
        ['notifications/progress', { progressToken: 'ask-1', progress: 2, message: 'releasing the checked answer' }],
        [4, undefined],
      ],
    ]);
  }, 60_000);

  it('serves the official client: tools, search, ask with progress, a resource, only the named collections', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--data', dataDir, '--collection', 'rocks'],
      cwd: ROOT,
      env: childEnv(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'cairn-test', version: '1.0.0' });
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const search = await client.callTool({ name: 'search', arguments: { query: 'quartz', collections: ['rocks'] } });
    const progress: number[] = [];
    const ask = await client.callTool(
      { name: 'ask', arguments: { question: 'What is granite rich in?', collection: 'rocks' } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    const resource = await client.readResource({ uri: `cairn://rocks/${graniteId}?start=0&end=7` });
    const hidden = await client.callTool({ name: 'search', arguments: { query: 'granite', collections: ['other'] } });
    await client.close();
    const passages = (search.structuredContent as { passages: { documentId: string }[] }).passages;
    const answer = ask.structuredContent as { decision: string; citations: { documentId: string; quote: string }[] };
    expect([
      tools,
      passages.map((p) => p.documentId),
      answer.decision,
      answer.citations.map((c) => [c.documentId, c.quote]),
      progress,
      resource.contents.map((c) => ('text' in c ? c.text.split('\n').at(-1) : '')),
      textOf(hidden),
    ]).toEqual([
      ['list_collections', 'list_documents', 'get_document', 'search', 'ask', 'ingest', 'job_status'],
      [graniteId],
      'answered',
      [[graniteId, 'Granite is an intrusive igneous rock rich in quartz and feldspar.']],
      // The server writes both notifications before the response (the raw test above checks the
      // wire), but this client dispatches notifications a microtask late: a last notification read
      // in the same chunk as the response is dropped (modelcontextprotocol/typescript-sdk#2580).
      progress.length === 2 ? [1, 2] : [1],
      ['Granite'],
      'COLLECTION_NOT_FOUND: Collection "other" is not served by this MCP server',
    ]);
  }, 60_000);

  it('sends writes to stdout that are not protocol messages to stderr', () => {
    const stdout = new PassThrough() as unknown as NodeJS.WriteStream;
    const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
    const seen = { out: '', err: '' };
    (stdout as unknown as PassThrough).on('data', (d: Buffer) => (seen.out += d.toString()));
    (stderr as unknown as PassThrough).on('data', (d: Buffer) => (seen.err += d.toString()));
    const protocol = claimStdout(stdout, stderr);
    stdout.write('a stray library line\n');
    protocol.write('{"jsonrpc":"2.0"}\n');
    expect(seen).toEqual({ out: '{"jsonrpc":"2.0"}\n', err: 'a stray library line\n' });
  });
});
