import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { ingest } from '../../indexer/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from '../server/helpers.ts';

// Re-ingest of one line of a JSONL file, from a server path and from a URL (a local HTTP server;
// the SSRF guard lets loopback through only because this config says ingest.allowPrivateUrls).
let dataDir: string;
let server: RunningServer;
let web: Server;
let webUrl: string;
let served = '';
const requests: string[] = [];

const lines = (...texts: string[]) => `${texts.map((text) => JSON.stringify({ text })).join('\n')}\n`;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-reingest-'));
  web = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/jsonl' });
    res.end(served);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  const config = testConfig(dataDir, {
    models: { embedder: null, reranker: null, generator: null },
    ingest: { allowPrivateUrls: true },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => web?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface JobView {
  status: string;
  result: { added: number; updated: number; unchanged: number } | null;
  failures: { source: string; code: string; message: string }[];
}

async function waitForJob(jobId: string): Promise<JobView> {
  for (let i = 0; i < 200; i++) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${jobId}`)).json()) as JobView;
    if (job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function reingest(collection: string, id: string): Promise<JobView> {
  const response = await fetch(`${server.url}/v1/collections/${collection}/documents/${id}/reingest`, { method: 'POST' });
  expect(response.status).toBe(202);
  return waitForJob(((await response.json()) as { jobId: string }).jobId);
}

function sourcesAndTexts(collection: string): [string, string][] {
  const { documents } = server.embedded!.documents.list({ collectionId: collection, limit: 100 });
  return documents.map((d) => [d.source, d.text]);
}

describe('re-ingest of one JSONL line', () => {
  it('from a server path reads the file again and rewrites that line only', async () => {
    const file = path.join(dataDir, 'notes.jsonl');
    writeFileSync(file, lines('first line', 'second line', 'third line'));
    await ingest(
      { store: server.store, config: testConfig(dataDir), logger: silentLogger, embedder: null },
      { collection: 'lines', sources: [file] },
    );
    writeFileSync(file, lines('first line changed', 'second line', 'third line changed'));
    const third = server.embedded!.documents.findBySource('lines', `${file}#L3`);
    const job = await reingest('lines', third?.id ?? '');
    expect([job.status, job.result, job.failures]).toMatchObject(['succeeded', { added: 0, updated: 1, unchanged: 0 }, []]);
    expect(sourcesAndTexts('lines')).toEqual([
      [`${file}#L1`, 'first line'],
      [`${file}#L2`, 'second line'],
      [`${file}#L3`, 'third line changed'],
    ]);
  });

  it('from a server path fails with SOURCE_NOT_FOUND when the line is gone, changing nothing', async () => {
    const file = path.join(dataDir, 'notes.jsonl');
    writeFileSync(file, lines('only one line now'));
    const third = server.embedded!.documents.findBySource('lines', `${file}#L3`);
    const job = await reingest('lines', third?.id ?? '');
    expect([job.status, job.failures]).toEqual([
      'failed',
      [{ source: `${file}#L3`, code: 'SOURCE_NOT_FOUND', message: `${file}#L3 is no longer in ${file}` }],
    ]);
    expect(sourcesAndTexts('lines').map(([, text]) => text)).toEqual(['first line', 'second line', 'third line changed']);
  });

  it('from a URL fetches the file (no fragment sent) and makes no #L2#L1 documents', async () => {
    served = lines('alpha record', 'bravo record');
    const created = await fetch(`${server.url}/v1/collections/web/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ urls: [`${webUrl}/data.jsonl`] }),
    });
    expect((await waitForJob(((await created.json()) as { jobId: string }).jobId)).status).toBe('succeeded');
    served = lines('alpha record', 'bravo record, edited');
    const second = server.embedded!.documents.findBySource('web', `${webUrl}/data.jsonl#L2`);
    const job = await reingest('web', second?.id ?? '');
    expect([job.status, job.result]).toMatchObject(['succeeded', { added: 0, updated: 1, unchanged: 0 }]);
    expect(sourcesAndTexts('web')).toEqual([
      [`${webUrl}/data.jsonl#L1`, 'alpha record'],
      [`${webUrl}/data.jsonl#L2`, 'bravo record, edited'],
    ]);
    expect(requests).toEqual(['/data.jsonl', '/data.jsonl']);
  });
});
