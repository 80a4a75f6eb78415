import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { Cairn, type Job } from '../../sdk/index.ts';
import { createRuntime, type RunningServer, type Runtime, startServer } from '../../server/index.ts';
import { testConfig } from './helpers.ts';

// Over the real runtime (real PDF loader, BM25 only) and a real socket. Passwords from test/fixtures/docs/MANIFEST.tsv.
const DOCS = path.join(import.meta.dirname, '../fixtures/docs');
const AES = readFileSync(path.join(DOCS, 'pdf-encrypted-aes256.pdf'));
const AES_PASSWORD = 'usersecret';
const LIBRE = readFileSync(path.join(DOCS, 'pdf-encrypted-libreoffice.pdf'));
const LIBRE_PASSWORD = 'openpassword';

let dataDir: string;
let runtime: Runtime;
let server: RunningServer;
let cairn: Cairn;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-pdfpw-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  runtime = await createRuntime(config, silentLogger);
  server = await startServer(config, silentLogger, runtime);
  cairn = new Cairn({ baseUrl: server.url, maxRetries: 0 });
  await cairn.collections.create({ name: 'locked' });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const pdf = (data: Uint8Array, name: string) => new File([data as Uint8Array<ArrayBuffer>], name, { type: 'application/pdf' });

/** The job as it ended, with every place a job is shown to a client: GET, list and its event stream. */
async function finished(jobId: string): Promise<{ job: Job; shown: string }> {
  const job = await cairn.jobs.wait(jobId);
  const events = await (await fetch(`${server.url}/v1/jobs/${jobId}/events`)).text();
  const shown = [JSON.stringify(await cairn.jobs.get(jobId)), JSON.stringify(await cairn.jobs.list()), events].join('\n');
  return { job, shown };
}

/** What a job outcome says, in one comparable line. */
const outcome = (job: Job) => [job.status, job.failures.map((f) => f.code), job.result?.added ?? null];

async function restUpload(data: Uint8Array, name: string, password?: string): Promise<string> {
  const form = new FormData();
  form.append('files', pdf(data, name), name);
  if (password !== undefined) form.append('password', password);
  const response = await fetch(`${server.url}/v1/collections/locked/documents`, { method: 'POST', body: form });
  expect(response.status).toBe(202);
  return ((await response.json()) as { jobId: string }).jobId;
}

describe('passwords for encrypted PDFs over HTTP', () => {
  it('REST multipart: PDF_ENCRYPTED without a password, PDF_BAD_PASSWORD with a wrong one, ingested with the right one', async () => {
    expect(outcome((await finished(await restUpload(AES, 'aes.pdf'))).job)).toEqual(['failed', ['PDF_ENCRYPTED'], 0]);
    expect(outcome((await finished(await restUpload(AES, 'aes.pdf', 'wrong'))).job)).toEqual(['failed', ['PDF_BAD_PASSWORD'], 0]);
    const { job, shown } = await finished(await restUpload(AES, 'aes.pdf', AES_PASSWORD));
    expect(outcome(job)).toEqual(['succeeded', [], 1]);
    expect(shown.includes(AES_PASSWORD)).toBe(false);
    const { documents } = await cairn.documents.list('locked', { mime: 'application/pdf' });
    const doc = await cairn.documents.get('locked', documents[0]?.id ?? '');
    expect(doc.text.trim()).toBe('Hello World');
  });

  it('SDK documents.add({ files, password }): ingested; the password is in no job view and gone from the row', async () => {
    const refused = await cairn.documents.add('locked', { files: pdf(LIBRE, 'libre.pdf') });
    expect(outcome((await finished(refused.jobId)).job)).toEqual(['failed', ['PDF_ENCRYPTED'], 0]);
    const accepted = await cairn.documents.add('locked', { files: pdf(LIBRE, 'libre.pdf'), password: LIBRE_PASSWORD });
    expect(JSON.stringify(accepted).includes(LIBRE_PASSWORD)).toBe(false);
    const { job, shown } = await finished(accepted.jobId);
    expect(outcome(job)).toEqual(['succeeded', [], 1]);
    expect(shown.includes(LIBRE_PASSWORD)).toBe(false);
    // Finished: what was posted, the password with it, is replaced by references to the documents.
    expect(JSON.stringify(runtime.embedded!.jobs.payload(accepted.jobId)).includes(LIBRE_PASSWORD)).toBe(false);
    expect(Object.keys(runtime.embedded!.jobs.payload(accepted.jobId))).toEqual(['sources']);
  });

  it('re-ingest over REST and the SDK takes { password } for a server-path PDF', async () => {
    const file = path.join(dataDir, 'locked.pdf');
    copyFileSync(path.join(DOCS, 'pdf-encrypted-aes256.pdf'), file);
    const first = await runtime.services.ingest({ collection: 'locked', sources: [file], password: AES_PASSWORD });
    const id = first.documents[0]?.id ?? '';
    expect([first.added, first.failed]).toEqual([1, []]);

    const bare = await fetch(`${server.url}/v1/collections/locked/documents/${id}/reingest`, { method: 'POST' });
    expect(bare.status).toBe(202);
    const withoutPassword = await finished(((await bare.json()) as { jobId: string }).jobId);
    expect(outcome(withoutPassword.job)).toEqual(['failed', ['PDF_ENCRYPTED'], 0]);

    const rest = await fetch(`${server.url}/v1/collections/locked/documents/${id}/reingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: AES_PASSWORD }),
    });
    const viaRest = await finished(((await rest.json()) as { jobId: string }).jobId);
    expect([viaRest.job.status, viaRest.job.failures, viaRest.job.result?.updated]).toEqual(['succeeded', [], 1]);

    const accepted = await cairn.documents.reingest('locked', id, { password: AES_PASSWORD });
    const viaSdk = await finished(accepted.jobId);
    expect([viaSdk.job.status, viaSdk.job.failures, viaSdk.job.result?.updated]).toEqual(['succeeded', [], 1]);
    expect(`${viaRest.shown}\n${viaSdk.shown}`.includes(AES_PASSWORD)).toBe(false);
    expect(JSON.stringify(runtime.embedded!.jobs.payload(accepted.jobId)).includes(AES_PASSWORD)).toBe(false);
  });
});
