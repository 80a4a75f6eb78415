import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { uploadSource } from '../../indexer/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { FIXTURES, testConfig } from './helpers.ts';

// The real runtime: real ingestion, BM25 search and the extractive answerer (no models here).
/** An uploaded fixture's document source: its content hash and name. */
const uploaded = (name: string) => uploadSource(name, readFileSync(path.join(FIXTURES, name)));
let dataDir: string;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-openai-'));
  // One search worker: searches and answers' retrieval run in it, as under `npm start`.
  const config = testConfig(dataDir, {
    offline: true,
    models: { embedder: null, reranker: null, generator: null },
    server: { searchWorkers: 1 },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  const form = new FormData();
  for (const name of readdirSync(FIXTURES).sort())
    form.append('files', new File([readFileSync(path.join(FIXTURES, name))], name));
  const res = await fetch(`${server.url}/v1/collections/rocks/documents`, { method: 'POST', body: form });
  expect(res.status).toBe(202);
  await server.jobs.idle();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused-on-an-open-loopback-server', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the official openai client against the real pipeline', () => {
  it('ingested the fixture uploads with the real ingest', () => {
    const sources = server.embedded!.documents.list({ collectionId: 'rocks' }).documents.map((d) => d.source);
    expect(sources.sort()).toEqual(['basalt.html', 'cairns.txt', 'granite.md'].map(uploaded).sort());
  });

  it('searches over HTTP in the search worker', async () => {
    const res = await fetch(`${server.url}/v1/collections/rocks/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'granite quartz', mode: 'bm25', k: 1 }),
    });
    const body = (await res.json()) as { passages: { source: string }[]; ran: object };
    expect([res.status, body.passages.map((p) => p.source), body.ran]).toEqual([
      200,
      [uploaded('granite.md')],
      { bm25: true, dense: false, fusion: null, rerank: false },
    ]);
  });

  it('lists one model per collection', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(['rocks']);
  });

  it('streams a chat completion answered from the collection, with sources and the cairn field', async () => {
    const stream = await client.chat.completions.create({
      model: 'rocks',
      stream: true,
      messages: [{ role: 'user', content: 'What is granite composed of?' }],
    });
    let text = '';
    let last: unknown;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toContain('quartz');
    expect(text).toMatch(/\n\nSources:\n\[1\] .*granite\.md/);
    const cairn = (last as { cairn: { citations: { source: string }[]; decision: string } }).cairn;
    expect(cairn.citations[0]?.source).toBe(uploaded('granite.md'));
    expect(['answered', 'revised']).toContain(cairn.decision);
  });

  it('completes without streaming too', async () => {
    const completion = await client.chat.completions.create({
      model: 'rocks',
      messages: [{ role: 'user', content: 'How do hikers mark trails?' }],
    });
    expect(completion.choices[0]?.message.content).toContain('cairn');
  });

  it('answers a follow-up with the earlier turns of the conversation, storing no chat', async () => {
    const chatsBefore = server.embedded!.chats.list().length;
    const alone = await client.chat.completions.create({
      model: 'rocks',
      messages: [{ role: 'user', content: 'How does it cool?' }],
    });
    const followUp = await client.chat.completions.create({
      model: 'rocks',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Tell me about granite.' },
        { role: 'assistant', content: 'Granite is a common rock.\n\nSources:\n[1] granite.md' },
        { role: 'user', content: 'How does it cool?' },
      ],
    });
    type WithCairn = { cairn: { chatId: unknown; reflection: { notes: string[] } } };
    const joined = 'The follow-up question was joined with the previous one (no generator to condense it).';
    const [first, second] = [alone, followUp].map((completion) => (completion as unknown as WithCairn).cairn);
    expect([first?.reflection.notes.includes(joined), second?.reflection.notes.includes(joined)]).toEqual([false, true]);
    expect([first?.chatId, second?.chatId]).toEqual([null, null]);
    expect(server.embedded!.chats.list().length).toBe(chatsBefore);
  });

  it('streams the ask pipeline events over SSE', async () => {
    const res = await fetch(`${server.url}/v1/collections/rocks/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ question: 'What is basalt?' }),
    });
    const events = (await res.text()).match(/^event: (\w+)$/gm) ?? [];
    expect(events[0]).toBe('event: retrieved');
    expect(events).toContain('event: token');
    expect(events).toContain('event: citation');
    expect(events.at(-1)).toBe('event: done');
  });

  it('reports a missing collection as an API error', async () => {
    const error = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('the real pipeline across a shutdown', () => {
  it('interrupts a running ingest job at a safe point and finishes it after a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-resume-'));
    const config = testConfig(dir, {
      offline: true,
      models: { embedder: null, reranker: null, generator: null },
      server: { maxFilesPerRequest: 5000 },
    });
    try {
      const first = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
      const form = new FormData();
      const filler = 'Cairns of stone mark the trail above the tree line. '.repeat(60);
      for (let i = 0; i < 1500; i++) form.append('files', new File([`Note ${i}. ${filler}`], `note-${i}.txt`));
      const res = await fetch(`${first.url}/v1/collections/notes/documents`, { method: 'POST', body: form });
      const { jobId } = (await res.json()) as { jobId: string };
      // Stop as soon as the job reports 20 documents done, as Ctrl-C would.
      const stopped = new Promise<void>((resolve) => {
        first.jobs.subscribe(jobId, (event) => {
          if (event.job.progress.documentsDone >= 20) first.close().then(resolve);
        });
      });
      await stopped;
      const second = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
      try {
        const written = second.embedded!.documents.list({ collectionId: 'notes', limit: 5000 }).documents;
        expect(written.length).toBeLessThan(1500);
        for (const doc of written) expect(second.embedded!.chunks.byDocument(doc.id).length).toBe(doc.chunkCount);
        await second.jobs.idle();
        expect(second.embedded!.jobs.require(jobId).status).toBe('succeeded');
        expect(second.embedded!.documents.count('notes')).toBe(1500);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
