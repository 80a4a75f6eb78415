import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from './helpers.ts';

// Delete means delete, over the real runtime (a search worker, real ingest, BM25 and the
// extractive answerer): once a document is deleted, no endpoint gives its text back, except the
// text of answers already given, which stored chats keep.
const SECRET = 'The vault code is zebra-quartz-71, kept in the north tower.';
const KEEP = 'Cairns mark trails across bare rock above the tree line.';
const WORD = /zebra|quartz|north tower/i;

let dataDir: string;
let server: RunningServer;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-delete-'));
  const config = testConfig(dataDir, {
    offline: true,
    models: { embedder: null, reranker: null, generator: null },
    server: { searchWorkers: 1 },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

async function postText(text: string, source: string): Promise<string> {
  const { text: body } = await call('POST', '/v1/collections/vault/documents', { text, source });
  const { jobId } = JSON.parse(body) as { jobId: string };
  for (let i = 0; i < 200; i++) {
    const job = JSON.parse((await call('GET', `/v1/jobs/${jobId}`)).text) as { status: string };
    if (job.status === 'succeeded') return jobId;
    if (job.status !== 'queued' && job.status !== 'running') throw new Error(`job ${jobId} ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

interface Message {
  role: string;
  content: string;
  result: { answer: string; citations: Record<string, unknown>[]; sentences?: { text: string }[] } | null;
}

/** A stored chat without the answer text itself (which stored chats keep by design). */
function withoutAnswers(chat: { messages: Message[] }): unknown {
  return chat.messages.map((m) => {
    const { content: _content, ...rest } = m;
    if (!m.result) return rest;
    const { answer: _answer, sentences: _sentences, ...result } = m.result;
    return { ...rest, result };
  });
}

describe('deleting a document', () => {
  let secretJob = '';
  let chatId = '';
  let secretId = '';

  it('is found everywhere before the delete', async () => {
    await call('POST', '/v1/collections', { name: 'vault' });
    secretJob = await postText(SECRET, 'vault-notes');
    await postText(KEEP, 'trail-notes');
    const search = await call('POST', '/v1/collections/vault/search', { query: 'vault code zebra quartz' });
    expect(search.text).toMatch(WORD);
    const ask = JSON.parse((await call('POST', '/v1/collections/vault/ask', { question: 'What is the vault code?' })).text) as {
      answer: string;
      chatId: string;
      citations: { documentId: string; quote: string }[];
    };
    expect(ask.answer).toBe(`${SECRET} [1]`);
    chatId = ask.chatId;
    secretId = ask.citations[0]?.documentId ?? '';
    expect(ask.citations[0]?.quote).toBe(SECRET);
  });

  it('leaves no text of it behind any endpoint; the chat keeps its answer with a deleted citation', async () => {
    expect((await call('DELETE', `/v1/collections/vault/documents/${secretId}`)).status).toBe(200);

    expect((await call('GET', `/v1/collections/vault/documents/${secretId}`)).status).toBe(404);
    const list = await call('GET', '/v1/collections/vault/documents');
    expect([list.status, WORD.test(list.text)]).toEqual([200, false]);
    const search = await call('POST', '/v1/collections/vault/search', { query: 'vault code zebra quartz' });
    expect([search.status, WORD.test(search.text)]).toEqual([200, false]);
    const again = await call('POST', '/v1/collections/vault/ask', { question: 'What is the zebra quartz code?', k: 5 });
    expect([again.status, WORD.test(again.text.replaceAll('What is the zebra quartz code?', ''))]).toEqual([200, false]);
    const openai = await call('POST', '/v1/chat/completions', {
      model: 'vault',
      messages: [{ role: 'user', content: 'Which code is kept in the north tower?' }],
    });
    expect([openai.status, WORD.test(openai.text.replaceAll('Which code is kept in the north tower?', ''))]).toEqual([
      200,
      false,
    ]);

    const chat = JSON.parse((await call('GET', `/v1/chats/${chatId}`)).text) as { messages: Message[] };
    const answer = chat.messages.find((m) => m.role === 'assistant');
    expect(answer?.content).toBe(`${SECRET} [1]`);
    expect(answer?.result?.citations).toEqual([
      { marker: 1, chunkId: expect.any(String), documentId: secretId, source: null, deleted: true },
    ]);
    const rest = JSON.stringify(withoutAnswers(chat)).replace('What is the vault code?', '');
    expect(WORD.test(rest)).toBe(false);
    // Chat titles are the questions asked; the second ask's own question names the words.
    const titles = (await call('GET', '/v1/chats')).text.replaceAll('What is the zebra quartz code?', '');
    expect(WORD.test(titles)).toBe(false);
  });

  // Job payloads are cleared by the job records change (jobs keep a reference, not the text).
  it('leaves no text of it in job records', async () => {
    const job = await call('GET', `/v1/jobs/${secretJob}`);
    const jobs = await call('GET', '/v1/jobs');
    expect([WORD.test(job.text), WORD.test(jobs.text)]).toEqual([false, false]);
  });
});
