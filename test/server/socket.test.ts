import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, isCairnError, silentLogger } from '../../core/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';
import { createFakeRuntime, type FakeOptions, FIXTURES, json, testConfig } from './helpers.ts';

let dataDir: string;
let running: RunningServer | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-socket-'));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(fakes: FakeOptions = {}, config: ConfigInput = {}): Promise<RunningServer> {
  running = await startServer(testConfig(dataDir, config), silentLogger, createFakeRuntime(dataDir, fakes));
  return running;
}

/** Reads server-sent events as they arrive, with the time each came in. */
async function* readEvents(res: Response): AsyncGenerator<{ event: string; data: string }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (data || event) yield { event, data };
      end = buffer.indexOf('\n\n');
    }
  }
}

const waitFor = async (check: () => boolean, ms = 3000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('over a real socket', () => {
  it('uploads the fixture documents as multipart and follows the job over SSE', async () => {
    const server = await start({ ingestDelayMs: 20 });
    const form = new FormData();
    for (const name of readdirSync(FIXTURES).sort()) {
      form.append('files', new File([readFileSync(path.join(FIXTURES, name))], name));
    }
    const res = await fetch(`${server.url}/v1/collections/rocks/documents`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const seen: string[] = [];
    for await (const { event, data } of readEvents(await fetch(`${server.url}/v1/jobs/${jobId}/events`))) {
      seen.push(event);
      if (event === 'done') expect((JSON.parse(data) as { status: string }).status).toBe('succeeded');
    }
    expect(seen[0]).toBe('progress');
    expect(seen.at(-1)).toBe('done');
    const docs = server.embedded!.documents.list({ collectionId: 'rocks' }).documents.map((d) => d.source);
    expect(docs).toEqual(['basalt.html', 'cairns.txt', 'granite.md']);
    expect(readdirSync(path.join(dataDir, 'uploads'))).toEqual([]);
  });

  it('streams an ask token by token', async () => {
    const server = await start({ tokenDelayMs: 15 });
    await fetch(`${server.url}/v1/collections/rocks/documents`, json({ text: 'Granite is an igneous rock.', source: 'granite' }));
    await server.jobs.idle();
    const res = await fetch(`${server.url}/v1/collections/rocks/ask`, {
      ...json({ question: 'What is granite?' }),
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    });
    const arrivals: { event: string; at: number }[] = [];
    let answer = '';
    for await (const { event, data } of readEvents(res)) {
      arrivals.push({ event, at: Date.now() });
      if (event === 'token') answer += (JSON.parse(data) as { text: string }).text;
    }
    expect(arrivals.map((a) => a.event)).toEqual(['retrieved', ...Array(6).fill('token'), 'citation', 'done']);
    expect(answer).toBe('Granite is an igneous rock. [1]');
    // Streamed, not buffered: the tokens arrived spread over time.
    expect((arrivals.at(-1)?.at ?? 0) - (arrivals[1]?.at ?? 0)).toBeGreaterThanOrEqual(40);
  });

  it('cancels the answer when the client disconnects', async () => {
    let aborted = 0;
    const server = await start({ tokenDelayMs: 100, onAnswerAborted: () => aborted++ });
    await fetch(
      `${server.url}/v1/collections/rocks/documents`,
      json({ text: 'Granite is a rock with many words in its sentence.', source: 'g' }),
    );
    await server.jobs.idle();
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/collections/rocks/ask`, {
      ...json({ question: 'granite', stream: true }),
      signal: controller.signal,
    });
    const events = readEvents(res);
    expect((await events.next()).value?.event).toBe('retrieved');
    controller.abort();
    await waitFor(() => aborted === 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('cairn_asks_active 0');
  });

  it('shuts down cleanly while a job runs, and the job resumes on restart', async () => {
    const server = await start({ ingestDelayMs: 40 });
    const texts = Array.from({ length: 30 }, (_, i) => `Document number ${i} about stones.`);
    const first = await fetch(`${server.url}/v1/collections/c/documents`, json({ text: 'The first note.', source: 'doc-first' }));
    const firstJob = ((await first.json()) as { jobId: string }).jobId;
    // One job with many sources: a multipart upload of 30 files.
    const form = new FormData();
    for (const [i, text] of texts.entries()) form.append('files', new File([text], `doc-${i}.txt`));
    const upload = await fetch(`${server.url}/v1/collections/c/documents`, { method: 'POST', body: form });
    const { jobId } = (await upload.json()) as { jobId: string };
    await waitFor(() => server.embedded!.documents.count('c') >= 5);
    await server.close();
    running = undefined;

    const again = await start({ ingestDelayMs: 1 });
    const interrupted = again.embedded!.jobs.require(jobId);
    expect(['queued', 'running']).toContain(interrupted.status);
    const partial = again.embedded!.documents.count('c');
    expect(partial).toBeLessThan(31);
    // Every document written before the stop is whole: its one chunk is there.
    for (const doc of again.embedded!.documents.list({ collectionId: 'c', limit: 100 }).documents) {
      expect(again.embedded!.chunks.byDocument(doc.id).map((c) => c.text)).toEqual([doc.text]);
    }
    await waitFor(() => again.embedded!.jobs.require(jobId).status === 'succeeded', 10_000);
    expect(again.embedded!.documents.count('c')).toBe(31);
    expect(again.embedded!.jobs.require(firstJob).status).toBe('succeeded');
  });

  it('refuses to listen beyond loopback without API keys', async () => {
    const config = testConfig(dataDir, { server: { host: '0.0.0.0' } });
    const error = await startServer(config, silentLogger, createFakeRuntime(dataDir)).catch((e: unknown) => e);
    expect(isCairnError(error, 'CONFIG_INVALID')).toBe(true);
    const runtime = createFakeRuntime(dataDir);
    const { key } = runtime.embedded!.apiKeys.create({ name: 'k', scopes: { '*': ['admin'] } });
    running = await startServer(config, silentLogger, runtime);
    expect(running.open).toBe(false);
    const port = running.port;
    expect((await fetch(`http://127.0.0.1:${port}/v1/collections`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/v1/collections`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );
  });
});
