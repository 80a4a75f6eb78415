import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { PDFParse } from 'pdf-parse';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, isCairnError, type JobProgress } from '../../core/index.ts';
import {
  createOcrRunner,
  ingest,
  type LoadedDocument,
  loadInput,
  type OcrMetadata,
  sharedOcrRunner,
} from '../../indexer/index.ts';
import { createHarness, DOCS, fixture, ingestDeps, testConfig } from './helpers.ts';
import { mixedPdf, textImage } from './ocr-fixtures.ts';

const GUARD = path.resolve(import.meta.dirname, '../fixtures/ocr/no-network.mjs');
// One runner (one worker, engines loaded once) for the whole file, with the network refused in it.
const runner = createOcrRunner({ execArgv: ['--import', GUARD] });
afterAll(() => runner.close());

const TESSERACT = 'tesseract.js@7.0.0/eng';
const PADDLE = 'paddleocr-ppocrv4@ocr-node-1.4.8';
const CONTRACT = '甲方：中国饮料有限公司（盖章）';

/** The one document a file makes, read with the shared runner. */
async function load(name: string, data: Uint8Array, config: Config = testConfig(), extra = {}): Promise<LoadedDocument> {
  const result = await loadInput({ source: name, name, data, metadata: {} }, { config, ocr: runner, ...extra });
  const [doc] = result.documents;
  if (!doc || result.documents.length !== 1) throw new Error(`${name} made ${result.documents.length} documents`);
  return doc;
}

const ocrOf = (doc: LoadedDocument) => doc.metadata.ocr as OcrMetadata;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter(Boolean);
}

/** Share of the reference's words found as separate words in the text (each found word used once). */
function wordRecall(text: string, reference: string): number {
  const bag = new Map<string, number>();
  for (const w of words(text)) bag.set(w, (bag.get(w) ?? 0) + 1);
  const wanted = words(reference);
  let found = 0;
  for (const w of wanted) {
    const n = bag.get(w) ?? 0;
    if (n > 0) found++;
    bag.set(w, n - 1);
  }
  return found / wanted.length;
}

describe('OCR of PDFs without a text layer', () => {
  it('reads the scanned lorem-ipsum page word for word with tesseract, recording engine and confidence', async () => {
    const doc = await load('scan.pdf', fixture('pdf-scanned-no-text-layer.pdf'));
    const reference = readFileSync(path.join(DOCS, 'ground_truth/pdf-scanned-no-text-layer.reference.txt'), 'utf8');
    expect(wordRecall(doc.text, reference)).toBeGreaterThanOrEqual(0.98);
    expect(doc.text.split('\n')[0]).toBe('Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nunc sollicitudin');
    expect(doc.pages).toEqual([{ page: 1, start: 0, end: doc.text.length }]);
    const ocr = ocrOf(doc);
    expect([ocr.mode, ocr.engines, ocr.pages.map((p) => [p.page, p.engine])]).toEqual(['auto', [TESSERACT], [[1, TESSERACT]]]);
  }, 120_000);

  it('reads every body cell of the image-only table with PaddleOCR, rows in order, off the caller thread', async () => {
    // Seconds of PaddleOCR run in the OCR worker: this thread's event loop stays free meanwhile.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const doc = await load('table.pdf', fixture('pdf-image-only-table.pdf'));
    delay.disable();
    expect(delay.max / 1e6).toBeLessThan(1000);
    const text = doc.text;
    const csv = readFileSync(path.join(DOCS, 'ground_truth/pdf-image-only-table.expected.csv'), 'utf8');
    const rows = csv.trim().split('\n').slice(2);
    // Each body row's words lie between its label and the next row's (cells wrap to a second line).
    const tokens = words(text);
    const starts = rows.map((row) => tokens.indexOf(words(row.split(',')[0] ?? '')[0] ?? ''));
    rows.forEach((row, i) => {
      const span = tokens.slice(starts[i], starts[i + 1] ?? tokens.length);
      const missing = words(row.replace(/"/g, '').replace(/,/g, ', ')).filter((word) => {
        const at = span.indexOf(word);
        if (at >= 0) span.splice(at, 1);
        return at < 0;
      });
      expect([row, missing]).toEqual([row, []]);
    });
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    // The header cells too (two of them wrap: Incomplete/ | Terminated, Time to | complete).
    const header = csv.split('\n').slice(0, 2).join(' ').replace(/[,/]/g, ' ');
    expect(words(header).filter((word) => !tokens.includes(word))).toEqual([]);
    expect(text).toContain('Blind 5 1 4 34.5%, n=1 1199 sec, n=1');
    const ocr = ocrOf(doc);
    expect([ocr.engines, ocr.lowConfidencePages]).toEqual([[PADDLE], []]);
  }, 120_000);

  it('keeps the Chinese contract oracle exact when OCR is forced over its text layer', async () => {
    const doc = await load('contract.pdf', fixture('pdf-chinese-contract.pdf'), testConfig({ ingest: { ocr: 'force' } }));
    expect(doc.text).toBe(CONTRACT);
    expect(ocrOf(doc).engines).toEqual([PADDLE]);
  }, 120_000);

  it('OCRs only the scanned page of a PDF mixing text and scanned pages, offsets exact', async () => {
    const scan = await textImage(['Scanned page two lists the basalt columns.']);
    const pdf = await mixedPdf([
      { text: 'This page has a text layer about granite quarries.' },
      { image: scan.png },
      { text: 'Page three is text again.' },
    ]);
    const progress: number[][] = [];
    const doc = await load('mixed.pdf', pdf, testConfig(), { onOcrPage: (d: number, n: number) => progress.push([d, n]) });
    expect(doc.text).toBe(
      'This page has a text layer about granite quarries.\n\nScanned page two lists the basalt columns.\n\nPage three is text again.',
    );
    expect(doc.pages).toEqual([
      { page: 1, start: 0, end: 50 },
      { page: 2, start: 52, end: 94 },
      { page: 3, start: 96, end: 121 },
    ]);
    expect(ocrOf(doc).pages.map((p) => p.page)).toEqual([2]);
    expect(progress).toEqual([[1, 1]]);
  }, 120_000);

  it('stops between pages when cancelled in the middle of a multi-page scan', async () => {
    const pages = await Promise.all(
      ['First scanned page.', 'Second scanned page.', 'Third scanned page.'].map((t) => textImage([t])),
    );
    const pdf = await mixedPdf(pages.map((p) => ({ image: p.png })));
    const controller = new AbortController();
    const progress: number[][] = [];
    const onOcrPage = (done: number, total: number) => {
      progress.push([done, total]);
      controller.abort();
    };
    const error = await load('three.pdf', pdf, testConfig(), { signal: controller.signal, onOcrPage }).catch((e: unknown) => e);
    expect(isCairnError(error, 'CANCELLED')).toBe(true);
    expect(progress).toEqual([[1, 3]]);
  }, 120_000);
});

describe('OCR in an ingest job', () => {
  it('reports a low-confidence page in the job notes and counts OCR pages in its progress', async () => {
    const h = createHarness({ config: { ingest: { ocrMinConfidence: 0.99 } } });
    try {
      const scan = await textImage(['Scanned page two lists the basalt columns.']);
      const data = await mixedPdf([{ text: 'This page has a text layer about granite quarries.' }, { image: scan.png }]);
      const job = h.store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
      const source = { kind: 'bytes' as const, name: 'mixed.pdf', data, source: 'mixed.pdf' };
      const seen: string[] = [];
      const onProgress = (p: JobProgress) =>
        seen.push(`${p.documentsDone}/${p.documentsTotal} ocr ${p.ocrPagesDone}/${p.ocrPagesTotal}`);
      const summary = await ingest(ingestDeps(h), { collection: 'docs', jobId: job.id, sources: [source], onProgress });
      expect(summary.notes).toContain('mixed.pdf: OCR confidence under 0.99 on page 2: check the text');
      // The page count shows while the document is read, and is gone once it is done.
      expect(seen).toContain('0/1 ocr 1/1');
      expect(seen.at(-1)).toBe('1/1 ocr undefined/undefined');
      expect(h.store.jobs.require(job.id).progress).not.toHaveProperty('ocrPagesDone');
    } finally {
      h.cleanup();
      await sharedOcrRunner().close();
    }
  }, 120_000);
});

describe('OCR of image files', () => {
  it('reads a PNG with Chinese and English text rendered here', async () => {
    const data = new Uint8Array(readFileSync(path.join(DOCS, 'pdf-chinese-contract.pdf')));
    const parser = new PDFParse({ data, verbosity: 0 });
    const shot = await parser.getScreenshot({ partial: [1], scale: 2, imageDataUrl: false, imageBuffer: true });
    await parser.destroy();
    const contract = Buffer.from(shot.pages[0]?.data ?? []);
    const english = await textImage(['Signed in Shanghai on 25 April 2019'], 1000, 32);
    const { height = 0 } = await sharp(contract).metadata();
    const png = await sharp({ create: { width: 1000, height: height + english.height, channels: 3, background: '#fff' } })
      .composite([
        { input: contract, top: 0, left: 0 },
        { input: english.png, top: height, left: 0 },
      ])
      .png()
      .toBuffer();
    const doc = await load('contract.png', png);
    expect(doc.text).toBe(`${CONTRACT}\nSigned in Shanghai on 25 April 2019`);
    expect([doc.mime, doc.pages]).toEqual(['image/png', [{ page: 1, start: 0, end: doc.text.length }]]);
    expect(ocrOf(doc).engines).toEqual([PADDLE]);
  }, 120_000);
});

describe('the OCR worker', () => {
  it('ends after its idle time, releasing the engines, and starts again for the next page', async () => {
    const brief = createOcrRunner({ execArgv: ['--import', GUARD], idleMs: 200 });
    try {
      const { png } = await textImage(['Idle workers end.']);
      const first = await brief.readImage(png, { maxPixels: 8_000_000 });
      const upAfterRead = brief.running();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const upAfterIdle = brief.running();
      const second = await brief.readImage(png, { maxPixels: 8_000_000 });
      expect([first.text, upAfterRead, upAfterIdle, second.text]).toEqual([
        'Idle workers end.',
        true,
        false,
        'Idle workers end.',
      ]);
    } finally {
      await brief.close();
    }
  }, 120_000);
});

describe('offline', () => {
  it('the guard every OCR test runs under refuses network access, in nested workers too', async () => {
    const probe = path.resolve(import.meta.dirname, '../fixtures/ocr/fetch-probe.mjs');
    const worker = new Worker(probe, { execArgv: ['--import', GUARD] });
    const met = await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    const refused = 'network access refused by the OCR test guard';
    expect(met).toEqual([refused, refused]);
  });
});
