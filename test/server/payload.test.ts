import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialize } from '../../server/jobs/payload.ts';
import type { StoredDocument } from '../../server/services.ts';
import {
  buildZip,
  documentXml,
  docxParts,
  lyingDocx,
  MB,
  manyEntriesZip,
  measurePeakRss,
} from '../indexer/zip-guard-fixtures.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let uploadsDir: string;
beforeEach(() => {
  uploadsDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-payload-'));
});
afterEach(() => rmSync(uploadsDir, { recursive: true, force: true }));

const stored: StoredDocument = {
  source: 'note.md',
  text: '# Note\n\nBody.',
  title: 'Note',
  mime: 'text/markdown',
  language: 'en',
  pages: [],
  metadata: { team: 'a' },
  contentHash: 'abc',
};

describe('materialize', () => {
  it('turns a stored document back into an ingest input, and reports one that is gone', () => {
    const read = (id: string) => (id === 'doc_1' ? stored : null);
    const { inputs, missing } = materialize(
      uploadsDir,
      [
        { type: 'document', id: 'doc_1' },
        { type: 'document', id: 'doc_gone' },
        { type: 'upload', file: 'up_x/0.bin', name: 'lost.txt' },
        { type: 'url', url: 'https://example.com/a' },
      ],
      read,
    );
    expect(inputs).toEqual([{ kind: 'stored', document: stored }, 'https://example.com/a']);
    expect(missing).toEqual(['doc_gone', 'lost.txt']);
  });
});

describe('uploads through the ZIP guard', () => {
  const GB = 1024 * MB;
  let env: TestEnv | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  async function upload(name: string, data: Buffer) {
    env ??= createTestEnv();
    const form = new FormData();
    form.append('files', new File([new Uint8Array(data)], name));
    const res = await env.app.request('/v1/collections/a/documents', { method: 'POST', body: form });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, code: body.error?.code, message: body.error?.message };
  }

  it('refuses each trick at the request with its code, in bounded memory, the event loop free', async () => {
    const inner = buildZip([{ name: 'b.zip', data: buildZip([{ name: 'doc.xml', data: documentXml('deep') }]) }]);
    const cases: [string, Buffer, { status: number; code: string; message: string }][] = [
      [
        'bomb.docx',
        lyingDocx(GB),
        { status: 413, code: 'ARCHIVE_TOO_LARGE', message: `bomb.docx decompresses to more than ${200 * MB} bytes` },
      ],
      [
        'notes.txt',
        lyingDocx(GB, { prepend: Buffer.from('plain text first\n') }),
        {
          status: 422,
          code: 'ARCHIVE_UNSAFE',
          message: 'notes.txt has 17 bytes before its ZIP data (prepended or self-extracting)',
        },
      ],
      [
        'nested.docx',
        buildZip(docxParts(undefined, [{ name: 'word/embeddings/a.zip', data: inner }])),
        {
          status: 422,
          code: 'ARCHIVE_NESTED',
          message: 'nested.docx: word/embeddings/a.zip!/b.zip is an archive inside an archive, nested deeper than 1 level(s)',
        },
      ],
      [
        'many.docx',
        manyEntriesZip(100_000),
        { status: 413, code: 'ARCHIVE_TOO_MANY_ENTRIES', message: 'many.docx has more than 10000 entries' },
      ],
    ];
    for (const [name, data, expected] of cases) {
      const run = await measurePeakRss(() => upload(name, data));
      expect([name, run.outcome]).toEqual([name, expected]);
      expect([name, run.growthMb < 200, run.longestGapMs < 1000]).toEqual([name, true, true]);
    }
  });

  it('accepts a DOCX that passes the guard', async () => {
    expect((await upload('ok.docx', buildZip(docxParts()))).status).toBe(202);
    await env?.deps.jobs.idle();
  });
});
