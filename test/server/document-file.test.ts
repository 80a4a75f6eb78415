import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, silentLogger } from '../../core/index.ts';
import { Cairn, type NotFoundError } from '../../sdk/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { createHousekeeping } from '../../server/jobs/housekeeping.ts';
import { contentDisposition } from '../../server/routes/document-files.ts';
import { testConfig } from './helpers.ts';

// Over the real runtime (real ingest and loaders, BM25 only) and a real socket.
let dataDir: string;
let server: RunningServer;
let cairn: Cairn;
const PDF = readFileSync(path.join(import.meta.dirname, '../fixtures/docs/pdf-hello-world-minimal.pdf'));
const filesDir = () => path.join(dataDir, 'files');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-files-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  cairn = new Cairn({ baseUrl: server.url, maxRetries: 0 });
  await cairn.collections.create({ name: 'a' });
  await cairn.collections.create({ name: 'b' });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function upload(collection: string, name: string, data: Uint8Array, type: string): Promise<string> {
  const accepted = await cairn.documents.add(collection, {
    files: [new File([data as Uint8Array<ArrayBuffer>], name, { type })],
  });
  const job = await cairn.jobs.wait(accepted.jobId);
  expect(job.status).toBe('succeeded');
  const { documents } = await cairn.documents.list(collection, { source: `upload:${sha256(data).slice(0, 16)}/${name}` });
  return documents[0]?.id ?? '';
}

async function refusal(promise: Promise<unknown>): Promise<[number, string]> {
  const error = (await promise.catch((e: unknown) => e)) as NotFoundError;
  return [error.status ?? 0, error.code];
}

describe('GET …/documents/{id}/file and /text', () => {
  it('serves an uploaded PDF as it was sent, with its type and name, and its text with page offsets', async () => {
    const id = await upload('a', 'hello wörld.pdf', PDF, 'application/pdf');
    const response = await fetch(`${server.url}/v1/collections/a/documents/${id}/file`);
    expect([response.status, response.headers.get('content-type'), response.headers.get('content-disposition')]).toEqual([
      200,
      'application/pdf',
      `inline; filename="hello w_rld.pdf"; filename*=UTF-8''hello%20w%C3%B6rld.pdf`,
    ]);
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(Buffer.from(await response.arrayBuffer()).equals(PDF)).toBe(true);
    const blob = await cairn.documents.file('a', id);
    expect([blob.type, blob.size]).toEqual(['application/pdf', PDF.length]);
    const text = await cairn.documents.text('a', id);
    const doc = await cairn.documents.get('a', id);
    expect(text).toEqual({ id, text: doc.text, pages: [{ page: 1, start: 0, end: doc.text.length }] });
    expect(doc.text.length).toBeGreaterThan(0);
    expect(readdirSync(filesDir())).toEqual([sha256(PDF)]);
  });

  it('keeps one original for the same bytes in two collections, removed with the last document naming it', async () => {
    const bytes = new TextEncoder().encode('Basalt is a volcanic rock.\n');
    const inA = await upload('a', 'basalt.txt', bytes, 'text/plain');
    const inB = await upload('b', 'basalt.txt', bytes, 'text/plain');
    const kept = path.join(filesDir(), sha256(bytes));
    expect(existsSync(kept)).toBe(true);
    await cairn.documents.delete('a', inA);
    expect(existsSync(kept)).toBe(true);
    expect(await (await cairn.documents.file('b', inB)).text()).toBe('Basalt is a volcanic rock.\n');
    await cairn.documents.delete('b', inB);
    expect(existsSync(kept)).toBe(false);
  });

  it('a replaced upload drops its old original once the replacing job ends; a dropped collection drops its own', async () => {
    const first = new TextEncoder().encode('Gneiss is banded.\n');
    const second = new TextEncoder().encode('Gneiss is a banded metamorphic rock.\n');
    await cairn.collections.create({ name: 'c' });
    const id = await upload('c', 'gneiss.txt', first, 'text/plain');
    const replacing = await cairn.documents.replace('c', id, new File([second], 'gneiss.txt', { type: 'text/plain' }));
    expect((await cairn.jobs.wait(replacing.jobId)).status).toBe('succeeded');
    expect([existsSync(path.join(filesDir(), sha256(first))), existsSync(path.join(filesDir(), sha256(second)))]).toEqual([
      false,
      true,
    ]);
    expect(await (await cairn.documents.file('c', id)).text()).toBe('Gneiss is a banded metamorphic rock.\n');
    await cairn.collections.delete('c');
    expect(existsSync(path.join(filesDir(), sha256(second)))).toBe(false);
  });

  it('a server-path document is served while its bytes hash as ingested: SOURCE_CHANGED, then SOURCE_NOT_FOUND', async () => {
    const file = path.join(dataDir, 'slate.txt');
    const bytes = 'Slate splits into sheets.';
    writeFileSync(file, bytes);
    const text = bytes;
    server.embedded!.documents.write(
      {
        id: 'doc_slate',
        collectionId: 'a',
        source: file,
        mime: 'text/plain',
        title: 'Slate',
        language: 'en',
        contentHash: sha256(bytes),
        text,
        pages: [],
        metadata: {},
        tags: [],
        bytes: bytes.length,
      },
      [
        {
          id: 'doc_slate:0',
          ordinal: 0,
          text,
          start: 0,
          end: text.length,
          page: null,
          headings: [],
          tokenCount: 5,
          metadata: {},
        },
      ],
    );
    const served = await fetch(`${server.url}/v1/collections/a/documents/doc_slate/file`);
    expect([served.status, served.headers.get('content-disposition'), await served.text()]).toEqual([
      200,
      `inline; filename="slate.txt"; filename*=UTF-8''slate.txt`,
      bytes,
    ]);
    expect(await cairn.documents.text('a', 'doc_slate')).toEqual({ id: 'doc_slate', text, pages: [] });
    writeFileSync(file, 'Slate was edited.');
    expect(await refusal(cairn.documents.file('a', 'doc_slate'))).toEqual([404, 'SOURCE_CHANGED']);
    rmSync(file);
    expect(await refusal(cairn.documents.file('a', 'doc_slate'))).toEqual([404, 'SOURCE_NOT_FOUND']);
  });

  it('URL and posted-text documents keep no file: FILE_NOT_KEPT; an unknown or foreign document is DOCUMENT_NOT_FOUND', async () => {
    const accepted = await cairn.documents.add('a', { text: 'Marble is metamorphosed limestone.', title: 'Marble' });
    await cairn.jobs.wait(accepted.jobId);
    const posted = (await cairn.documents.list('a')).documents.find((d) => d.title === 'Marble')?.id ?? '';
    const url = 'https://rocks.example/pumice';
    const text = 'Pumice floats.';
    server.embedded!.documents.write(
      {
        id: 'doc_url',
        collectionId: 'a',
        source: url,
        mime: 'text/html',
        title: 'Pumice',
        language: 'en',
        contentHash: sha256(text),
        text,
        pages: [],
        metadata: {},
        tags: [],
        bytes: text.length,
      },
      [],
    );
    expect([
      await refusal(cairn.documents.file('a', posted)),
      await refusal(cairn.documents.file('a', 'doc_url')),
      await refusal(cairn.documents.file('a', 'doc_none')),
      await refusal(cairn.documents.file('b', 'doc_url')),
      await refusal(cairn.documents.text('b', 'doc_url')),
    ]).toEqual([
      [404, 'FILE_NOT_KEPT'],
      [404, 'FILE_NOT_KEPT'],
      [404, 'DOCUMENT_NOT_FOUND'],
      [404, 'DOCUMENT_NOT_FOUND'],
      [404, 'DOCUMENT_NOT_FOUND'],
    ]);
    expect(cairn.documents.fileUrl('a', 'doc 1')).toBe(`${server.url}/v1/collections/a/documents/doc%201/file`);
  });

  it('housekeeping removes an original whose document another process deleted', async () => {
    const bytes = new TextEncoder().encode('Chalk is soft limestone.\n');
    const id = await upload('b', 'chalk.txt', bytes, 'text/plain');
    const kept = path.join(filesDir(), sha256(bytes));
    server.embedded!.documents.remove(id); // as `cairn` on the same data folder would, without the server
    expect(existsSync(kept)).toBe(true);
    const timers = { every: () => () => {} };
    const uploadsDir = path.join(dataDir, 'uploads');
    await createHousekeeping({
      store: server.store,
      embedded: server.embedded!,
      logger: silentLogger,
      uploadsDir,
      retentionDays: 30,
      clock: Date.now,
      timers,
    }).run();
    expect(existsSync(kept)).toBe(false);
  });

  it('names files for Content-Disposition without breaking the header', () => {
    expect(contentDisposition('a"b\\c.pdf')).toBe(`inline; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`);
  });
});
