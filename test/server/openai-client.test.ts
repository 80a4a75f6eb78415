import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { FIXTURES, testConfig } from './helpers.ts';

// The real runtime: real ingestion, BM25 search and the extractive answerer (no models here).
let dataDir: string;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-openai-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
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
    const sources = server.store.documents.list({ collectionId: 'rocks' }).documents.map((d) => d.source);
    expect(sources).toEqual(['basalt.html', 'cairns.txt', 'granite.md']);
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
    expect(cairn.citations[0]?.source).toBe('granite.md');
    expect(['answered', 'revised']).toContain(cairn.decision);
  });

  it('completes without streaming too', async () => {
    const completion = await client.chat.completions.create({
      model: 'rocks',
      messages: [{ role: 'user', content: 'How do hikers mark trails?' }],
    });
    expect(completion.choices[0]?.message.content).toContain('cairn');
  });

  it('reports a missing collection as an API error', async () => {
    const error = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
