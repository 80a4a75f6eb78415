import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../store/index.ts';
import { DOCS } from './helpers.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/cairn.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-ingest-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No embedder (CAIRN_EMBEDDER=none): the test never looks for models or the network. */
async function cairn(args: string[]) {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { cwd: dir, env: { ...process.env, CAIRN_EMBEDDER: 'none' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** What MANIFEST.tsv says each readable file must contain (its oracle column, as substrings). */
const EXPECTED: Record<string, string[]> = {
  // No text layer: read by OCR (ingest.ocr 'auto'); oracles from the typed reference and the expected CSV.
  'pdf-scanned-no-text-layer.pdf': [
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nunc sollicitudin\nmolestie consequat.',
    'turpis in volutpat placerat. Phasellus ornare quis diam at vestibulum.',
  ],
  'pdf-image-only-table.pdf': [
    'Blind 5 1 4 34.5%, n=1 1199 sec, n=1',
    'Dexterity 5 4 1 98.3%, n=4 1672.1 sec, n=4',
    'Mobility 3 3 0 95.4%, n=3 1416 sec, n=3',
  ],
  'pdf-hello-world-minimal.pdf': ['Hello World\nHello World\nH e l l o W o r l d'],
  // The colon and the buyer's name come from a CID font without ToUnicode: mapped through its cmap.
  'pdf-chinese-invoice.pdf': ['ISSUE Date：2019-4-25 Buyer：黎荣'],
  'pdf-chinese-contract.pdf': ['甲方：中国饮料有限公司（盖章）'],
  'pdf-corrupt-zlib-stream.pdf': ['Beautiful is better than ugly.'],
  'pdf-latex-twocolumn-table.pdf': [
    'Two-Column Document with Lorem Ipsum',
    'EU Countries Information',
    'Austria',
    'Vienna',
    'Finland',
  ],
  // pdf.js reverses this file's logical-order Arabic clusters; the loader reads them back.
  'pdf-arabic-rtl.pdf': ['حَبيبي habibi'],
  'pdf-academic-two-column-dpr.pdf': ['Dense Passage Retrieval for Open-Domain Question Answering'],
  'pdf-korean-tables.pdf': ['할인점·주유·온라인쇼핑몰', '1.5% 빅포인트 적립'],
  'docx-table.docx': ['Above\n\nTop left | Top right\nBottom left | Bottom right\n\nBelow'],
  'docx-footnotes.docx': ['Ouch[1].[2]', 'A tachyon walks into a bar.', 'Fin.'],
  'docx-english-spanish.docx': [
    'All human beings are born free and equal in dignity and rights.',
    'Todos los seres humanos nacen libres',
  ],
  'html-sec-10k-page.html': [
    '☐',
    'TRANSITION REPORT PURSUANT TO SECTION 13 OR 15(d)',
    'Galaxy Gaming, Inc.',
    'Nevada',
    '20-8143439',
  ],
  'html-windows1252-encoded.html': ['My First Heading', 'My first paragraph.', 'Die schöne Frau', '15,50 €.'],
  'md-pipe-table.md': ['Item | Price | # In stock', 'Juicy Apples | 1.99 | 739', 'Bananas | 1.89 | 6'],
  'md-latin1-encoded.md': ['## können', 'können', 'äöüß'],
  'md-fenced-code.md': ['HTML Example', 'XML Example', '<h1>Hello, World!</h1>', '<to>Tove</to>'],
};

const UNREADABLE: Record<string, string> = {
  'docx-invalid-empty-zip.docx': 'LOADER_FAILED',
  'pdf-encrypted-aes256.pdf': 'PDF_ENCRYPTED',
  'pdf-encrypted-libreoffice.pdf': 'PDF_ENCRYPTED',
};

describe('cairn ingest on the loader test documents', () => {
  it('stores every readable file with the right text, reports the rest, then finds all unchanged', async () => {
    const data = path.join(dir, 'data');
    const first = await cairn(['ingest', DOCS, '--data', data, '--json']);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as {
      added: number;
      failed: { source: string; code: string; message: string }[];
      notes: string[];
    };
    const failed = Object.fromEntries(summary.failed.map((f) => [path.basename(f.source), f.code]));
    expect(failed).toEqual(UNREADABLE);
    expect(summary.notes[0]).toBe('no embedder: stored for BM25 only; run `cairn reindex` once a model is available');

    const store = openStore({ dataDir: data });
    try {
      for (const [file, needles] of Object.entries(EXPECTED)) {
        const doc = store.documents.findBySource('default', path.join(DOCS, file));
        expect([file, doc?.status]).toEqual([file, 'pending_vectors']);
        for (const needle of needles) expect([file, doc?.text.includes(needle)]).toEqual([file, true]);
        for (const chunk of store.chunks.byDocument(doc?.id ?? ''))
          expect(doc?.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
      }
      expect(summary.added).toBe(store.documents.count('default'));
    } finally {
      store.close();
    }

    const second = await cairn(['ingest', DOCS, '--data', data, '--json']);
    const again = JSON.parse(second.stdout) as { added: number; updated: number; unchanged: number; failed: unknown[] };
    expect([again.added, again.updated, again.unchanged, again.failed.length]).toEqual([0, 0, summary.added, 3]);

    const withPassword = await cairn([
      'ingest',
      path.join(DOCS, 'pdf-encrypted-aes256.pdf'),
      '--password',
      'usersecret',
      '--data',
      data,
    ]);
    expect(withPassword.stdout).toMatch(/^added 1, updated 0, unchanged 0, failed 0; 1 chunks in [\d.]+ s\nnote: no embedder/);
  }, 240_000);

  it('needs an embedder for reindex', async () => {
    const reindex = await cairn(['reindex', '--data', path.join(dir, 'data'), '--json']);
    expect(reindex.code).toBe(1);
    expect(JSON.parse(reindex.stdout)).toEqual({
      error: { code: 'MODEL_MISSING', message: 'cannot reindex: no embedder is configured' },
    });
  }, 30_000);
});
