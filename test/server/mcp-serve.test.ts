import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentId, silentLogger } from '../../core/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from './helpers.ts';
import { GRANITE, textOf } from './mcp-helpers.ts';

// The real runtime behind `cairn serve`: real ingestion, BM25 in a search worker, the extractive answerer.
let dataDir: string;
let server: RunningServer;
let client: Client;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-mcp-serve-'));
  const config = testConfig(dataDir, {
    offline: true,
    models: { embedder: null, reranker: null, generator: null },
    server: { searchWorkers: 1 },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  client = new Client({ name: 'cairn-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /mcp on cairn serve', () => {
  it('ingests through the job worker, then searches in the search worker and answers', async () => {
    const ingest = await client.callTool({
      name: 'ingest',
      arguments: { collection: 'rocks', text: GRANITE, title: 'Granite', source: 'granite-note' },
    });
    expect(ingest.isError ?? false).toBe(false);
    await server.jobs.idle();
    const search = await client.callTool({ name: 'search', arguments: { query: 'quartz feldspar', collections: ['rocks'] } });
    const body = search.structuredContent as {
      passages: { documentId: string; start: number; end: number }[];
      collections: { rocks: { ran: object } };
    };
    const progress: number[] = [];
    const ask = await client.callTool(
      { name: 'ask', arguments: { question: 'What is granite rich in?', collection: 'rocks' } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    const answer = ask.structuredContent as { decision: string; citations: { quote: string; start: number; end: number }[] };
    expect([
      body.passages.map((p) => [p.documentId, p.start, p.end]),
      body.collections.rocks.ran,
      answer.decision,
      answer.citations.map((c) => [c.quote, c.start, c.end]),
      progress,
    ]).toEqual([
      [[documentId('rocks', 'granite-note'), 0, GRANITE.length]],
      { bm25: true, dense: false, fusion: null, rerank: false },
      'answered',
      [['Granite is an intrusive igneous rock rich in quartz and feldspar.', 0, 65]],
      [1, 2],
    ]);
  }, 60_000);

  it('an unsupported question is an abstention, said so in the text with what ran', async () => {
    const ask = await client.callTool({
      name: 'ask',
      arguments: { question: 'Who won the 1998 world cup?', collection: 'rocks' },
    });
    const body = ask.structuredContent as { decision: string; abstainReason: string; citations: unknown[] };
    expect([body.decision, body.abstainReason, body.citations, textOf(ask)]).toEqual([
      'abstained',
      'no_relevant_passages',
      [],
      'Cairn abstained (no_relevant_passages): The documents do not answer this.\n\nNotes: No generator is available: the answer is extractive (sentences quoted from the documents).',
    ]);
  });
});
