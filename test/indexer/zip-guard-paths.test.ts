import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../indexer/index.ts';
import { createHarness, ingestDeps } from './helpers.ts';
import { buildZip, documentXml, docxParts, lyingDocx, MB, manyEntriesZip, measurePeakRss } from './zip-guard-fixtures.ts';

const GB = 1024 * MB;
const TOO_LARGE = `decompresses to more than ${200 * MB} bytes`;

function nestedDocx(): Buffer {
  const inner = buildZip([{ name: 'b.zip', data: buildZip([{ name: 'doc.xml', data: documentXml('deep') }]) }]);
  return buildZip(docxParts(undefined, [{ name: 'word/embeddings/a.zip', data: inner }]));
}

const BOMBS: [string, () => Buffer, string, string][] = [
  ['bomb.docx', () => lyingDocx(GB), 'ARCHIVE_TOO_LARGE', `bomb.docx ${TOO_LARGE}`],
  [
    'prepended.docx',
    () => lyingDocx(GB, { prepend: Buffer.alloc(512, 0x20) }),
    'ARCHIVE_UNSAFE',
    'prepended.docx has 512 bytes before its ZIP data (prepended or self-extracting)',
  ],
  [
    'nested.docx',
    nestedDocx,
    'ARCHIVE_NESTED',
    'nested.docx: word/embeddings/a.zip!/b.zip is an archive inside an archive, nested deeper than 1 level(s)',
  ],
  ['many.docx', () => manyEntriesZip(100_000), 'ARCHIVE_TOO_MANY_ENTRIES', 'many.docx has more than 10000 entries'],
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-zip-paths-'));
  for (const [name, build] of BOMBS) writeFileSync(path.join(dir, name), build());
  writeFileSync(path.join(dir, 'ok.docx'), buildZip(docxParts()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the ZIP guard on the ingest paths', () => {
  it('files: each trick fails its document with its code, the good file is stored, memory stays bounded', async () => {
    const h = createHarness({ embedder: null });
    try {
      const sources = [...BOMBS.map(([name]) => path.join(dir, name)), path.join(dir, 'ok.docx')];
      const run = await measurePeakRss(() => ingest(ingestDeps(h), { collection: 'c', sources }));
      const summary = run.outcome as Awaited<ReturnType<typeof ingest>>;
      expect(summary.added).toBe(1);
      expect(summary.failed).toEqual(BOMBS.map(([name, , code, message]) => ({ source: path.join(dir, name), code, message })));
      expect(run.growthMb).toBeLessThan(200);
    } finally {
      h.cleanup();
    }
  });

  it('re-ingest: a stored DOCX whose file became a bomb fails and keeps its stored text', async () => {
    const h = createHarness({ embedder: null });
    const file = path.join(dir, 'changing.docx');
    try {
      writeFileSync(file, buildZip(docxParts()));
      expect((await ingest(ingestDeps(h), { collection: 'c', sources: [file] })).added).toBe(1);
      writeFileSync(file, lyingDocx(GB));
      const again = await ingest(ingestDeps(h), { collection: 'c', sources: [file], force: true });
      expect(again.failed).toEqual([{ source: file, code: 'ARCHIVE_TOO_LARGE', message: `changing.docx ${TOO_LARGE}` }]);
      expect(h.store.documents.findBySource('c', file)?.text).toBe('Hello guarded world.');
    } finally {
      h.cleanup();
    }
  });

  it('URLs: a DOCX bomb served over HTTP is refused the same way', async () => {
    const bomb = lyingDocx(GB);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }).end(bomb);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/report.docx`;
    const h = createHarness({ embedder: null, config: { ingest: { allowPrivateUrls: true } } });
    try {
      const summary = await ingest(ingestDeps(h), { collection: 'web', sources: [url] });
      expect(summary.failed).toEqual([{ source: url, code: 'ARCHIVE_TOO_LARGE', message: `report.docx ${TOO_LARGE}` }]);
    } finally {
      h.cleanup();
      server.closeAllConnections();
      server.close();
    }
  });

  it('CLI: cairn ingest refuses every trick, its peak RSS within 200 MB of ingesting a good file', async () => {
    const probe = path.join(dir, 'maxrss.mjs');
    writeFileSync(
      probe,
      "import { writeSync } from 'node:fs';\nprocess.on('exit', () => writeSync(2, '\\nmaxrss-kb=' + process.resourceUsage().maxRSS + '\\n'));\n",
    );
    const bin = path.resolve(import.meta.dirname, '../../bin/cairn.js');
    const cairn = async (files: string[]) => {
      const args = ['--import', probe, bin, 'ingest', ...files, '--data', path.join(dir, `data-${files.length}`), '--json'];
      const env = { ...process.env, CAIRN_EMBEDDER: 'none' };
      const out = await promisify(execFile)('node', args, { cwd: dir, env }).catch((e: { stdout: string; stderr: string }) => e);
      const maxRssKb = Number(/maxrss-kb=(\d+)/.exec(out.stderr)?.[1]);
      return { summary: JSON.parse(out.stdout) as { added: number; failed: { code: string }[] }, maxRssKb };
    };
    const good = await cairn([path.join(dir, 'ok.docx')]);
    expect(good.summary.added).toBe(1);
    const bad = await cairn(BOMBS.map(([name]) => path.join(dir, name)));
    expect(bad.summary.failed.map((f) => f.code)).toEqual(BOMBS.map(([, , code]) => code));
    expect(bad.maxRssKb - good.maxRssKb).toBeLessThan(200 * 1024);
  }, 60_000);
});
