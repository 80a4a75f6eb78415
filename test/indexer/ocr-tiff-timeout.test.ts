import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, isCairnError } from '../../core/index.ts';
import { createOcrRunner, type LoadedDocument, loadInput, type OcrMetadata } from '../../indexer/index.ts';
import { testConfig } from './helpers.ts';
import { mixedPdf, textImage } from './ocr-fixtures.ts';

const GUARD = path.resolve(import.meta.dirname, '../fixtures/ocr/no-network.mjs');
const runner = createOcrRunner({ execArgv: ['--import', GUARD] });
afterAll(() => runner.close());

const TESSERACT = 'tesseract.js@7.0.0/eng';

async function load(name: string, data: Uint8Array, config: Config = testConfig(), extra = {}): Promise<LoadedDocument> {
  const result = await loadInput({ source: name, name, data, metadata: {} }, { config, ocr: runner, ...extra });
  const [doc] = result.documents;
  if (!doc || result.documents.length !== 1) throw new Error(`${name} made ${result.documents.length} documents`);
  return doc;
}

const ocrOf = (doc: LoadedDocument) => doc.metadata.ocr as OcrMetadata;

/** A multi-page TIFF, one page per line of text (sharp joins the pages as frames and writes them as TIFF pages). */
async function multiPageTiff(lines: string[]): Promise<Buffer> {
  const pages = await Promise.all(lines.map((line) => textImage([line], 900)));
  return sharp(
    pages.map((p) => p.png),
    { join: { animated: true } },
  )
    .tiff()
    .toBuffer();
}

describe('multi-page TIFF', () => {
  it('reads every page in order, with page spans, per-page progress and metadata', async () => {
    const tiff = await multiPageTiff(['First page of the fax.', 'Second page of the fax.']);
    expect((await sharp(tiff).metadata()).pages).toBe(2);
    const progress: number[][] = [];
    const doc = await load('fax.tiff', tiff, testConfig(), { onOcrPage: (d: number, n: number) => progress.push([d, n]) });
    expect(doc.text).toBe('First page of the fax.\n\nSecond page of the fax.');
    expect(doc.pages).toEqual([
      { page: 1, start: 0, end: 22 },
      { page: 2, start: 24, end: 47 },
    ]);
    expect([doc.mime, doc.metadata.pageCount, progress]).toEqual([
      'image/tiff',
      2,
      [
        [1, 2],
        [2, 2],
      ],
    ]);
    expect(ocrOf(doc).pages.map((p) => [p.page, p.engine])).toEqual([
      [1, TESSERACT],
      [2, TESSERACT],
    ]);
  }, 60_000);

  it('stops between TIFF pages when cancelled', async () => {
    const tiff = await multiPageTiff(['Page one.', 'Page two.', 'Page three.']);
    const controller = new AbortController();
    const progress: number[][] = [];
    const onOcrPage = (done: number, total: number) => {
      progress.push([done, total]);
      controller.abort();
    };
    const error = await load('three.tif', tiff, testConfig(), { signal: controller.signal, onOcrPage }).catch((e: unknown) => e);
    expect(isCairnError(error, 'CANCELLED')).toBe(true);
    expect(progress).toEqual([[1, 3]]);
  }, 60_000);
});

describe('per-page OCR time limit', () => {
  it('skips and reports pages over ingest.ocrPageTimeoutMs, restarts the worker, and keeps the rest', async () => {
    const scans = await Promise.all(['Scan one.', 'Scan two.'].map((t) => textImage([t])));
    const pdf = await mixedPdf([{ text: 'A text page about slate roofs.' }, { image: scans[0]!.png }, { image: scans[1]!.png }]);
    const progress: number[][] = [];
    const config = testConfig({ ingest: { ocrPageTimeoutMs: 1 } });
    const doc = await load('slow.pdf', pdf, config, { onOcrPage: (d: number, n: number) => progress.push([d, n]) });
    expect(doc.text).toBe('A text page about slate roofs.');
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(ocrOf(doc)).toEqual({
      mode: 'auto',
      pages: [],
      engines: [],
      meanConfidence: 0,
      lowConfidencePages: [],
      // Page 1 too: its look for large images (the file has some) ran past the limit as well; its text layer stays.
      timedOutPages: [1, 2, 3],
      warning: 'OCR took over 0.001 s on pages 1, 2, 3: OCR skipped there',
    });
    // The stuck worker was ended; the next document starts a fresh one and reads normally.
    const upAfterTimeout = runner.running();
    const next = await load('next.png', scans[1]!.png);
    expect([upAfterTimeout, next.text]).toEqual([false, 'Scan two.']);
  }, 60_000);

  it('an image whose only page times out has no text', async () => {
    const { png } = await textImage(['Too slow.']);
    const error = await load('slow.png', png, testConfig({ ingest: { ocrPageTimeoutMs: 1 } })).catch((e: unknown) => e);
    expect(isCairnError(error, 'OCR_NO_TEXT')).toBe(true);
  }, 60_000);
});
