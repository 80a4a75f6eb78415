import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { ingest, uploadSource } from '../../indexer/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from './helpers.ts';

// Over the real runtime (real ingest, BM25 only) and a real socket: what a client of the REST API sees.
let dataDir: string;
let server: RunningServer;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-uploads-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  const created = await fetch(`${server.url}/v1/collections`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'reports' }),
  });
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface JobView {
  status: string;
  result: { added: number; updated: number; unchanged: number } | null;
}

async function waitForJob(jobId: string): Promise<JobView> {
  for (let i = 0; i < 200; i++) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${jobId}`)).json()) as JobView;
    if (job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function send(method: 'POST' | 'PUT', url: string, name: string, text: string): Promise<Response> {
  const form = new FormData();
  form.append('files', new Blob([text], { type: 'text/plain' }), name);
  return fetch(url, { method, body: form });
}

async function upload(name: string, text: string): Promise<JobView> {
  const response = await send('POST', `${server.url}/v1/collections/reports/documents`, name, text);
  expect(response.status).toBe(202);
  return waitForJob(((await response.json()) as { jobId: string }).jobId);
}

interface DocumentView {
  id: string;
  source: string;
  title: string;
  text?: string;
}

async function listDocuments(): Promise<DocumentView[]> {
  const body = (await (await fetch(`${server.url}/v1/collections/reports/documents`)).json()) as { documents: DocumentView[] };
  return body.documents;
}

async function getDocument(id: string): Promise<DocumentView> {
  return (await (await fetch(`${server.url}/v1/collections/reports/documents/${id}`)).json()) as DocumentView;
}

const Q1 = 'Quarterly report one: revenue grew in the north.';
const Q2 = 'Quarterly report two: costs fell in the south.';
const Q3 = 'Quarterly report three: a corrected version of report two.';

describe('uploads with the same file name', () => {
  it('keeps two different report.txt, and the same bytes uploaded again are a no-op', async () => {
    expect((await upload('report.txt', Q1)).result).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    expect((await upload('report.txt', Q2)).result).toMatchObject({ added: 1, updated: 0, unchanged: 0 });
    const docs = await listDocuments();
    expect(docs.map((d) => [d.source, d.title]).sort()).toEqual(
      [
        [uploadSource('report.txt', new TextEncoder().encode(Q1)), 'report.txt'],
        [uploadSource('report.txt', new TextEncoder().encode(Q2)), 'report.txt'],
      ].sort(),
    );
    const texts = await Promise.all(docs.map(async (d) => (await getDocument(d.id)).text));
    expect(texts.sort()).toEqual([Q1, Q2].sort());

    expect((await upload('report.txt', Q1)).result).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect((await upload('copy of report.txt', Q1)).result).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect((await listDocuments()).length).toBe(2);
  });

  it('replaces a document explicitly by id with PUT: same id, new text, nothing added', async () => {
    const two = (await listDocuments()).find((d) => d.source === uploadSource('report.txt', new TextEncoder().encode(Q2)));
    if (!two) throw new Error('report two is missing');
    const response = await send('PUT', `${server.url}/v1/collections/reports/documents/${two.id}`, 'report-v2.txt', Q3);
    expect(response.status).toBe(202);
    const job = await waitForJob(((await response.json()) as { jobId: string }).jobId);
    expect([job.status, job.result]).toMatchObject(['succeeded', { added: 0, updated: 1, unchanged: 0 }]);
    const replaced = await getDocument(two.id);
    expect([replaced.id, replaced.source, replaced.text]).toEqual([two.id, two.source, Q3]);
    expect((await listDocuments()).length).toBe(2);
    // The replacing bytes uploaded again are that document, not a new one.
    expect((await upload('report.txt', Q3)).result).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect((await listDocuments()).length).toBe(2);
  });

  it('counts an upload stored before sources carried a hash (a bare file name) as the same file', async () => {
    const old = 'An upload from before: its source is its bare name.';
    await ingest(
      { store: server.store, config: testConfig(dataDir), logger: silentLogger, embedder: null },
      {
        collection: 'reports',
        sources: [{ kind: 'bytes', name: 'old.txt', data: new TextEncoder().encode(old), source: 'old.txt' }],
      },
    );
    expect((await upload('old.txt', old)).result).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    expect((await listDocuments()).filter((d) => d.title === 'old.txt').map((d) => d.source)).toEqual(['old.txt']);
  });

  it('refuses a PUT of an unknown id, of two files, and of a document read from a server path', async () => {
    const unknown = await send('PUT', `${server.url}/v1/collections/reports/documents/nope`, 'report.txt', Q1);
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      'DOCUMENT_NOT_FOUND',
    ]);

    const [first] = await listDocuments();
    const form = new FormData();
    form.append('files', new Blob([Q1]), 'a.txt');
    form.append('files', new Blob([Q2]), 'b.txt');
    const two = await fetch(`${server.url}/v1/collections/reports/documents/${first?.id}`, { method: 'PUT', body: form });
    expect([two.status, ((await two.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'A document is replaced by exactly one file; got 2',
    ]);

    const file = path.join(dataDir, 'on-server.txt');
    writeFileSync(file, 'A file on the server.');
    await ingest(
      { store: server.store, config: testConfig(dataDir), logger: silentLogger, embedder: null },
      {
        collection: 'reports',
        sources: [file],
      },
    );
    const onServer = (await listDocuments()).find((d) => d.source === file);
    const refused = await send('PUT', `${server.url}/v1/collections/reports/documents/${onServer?.id}`, 'x.txt', Q1);
    expect([refused.status, ((await refused.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      `${file} is read from its URL or server path: re-ingest it instead`,
    ]);
  });
});
