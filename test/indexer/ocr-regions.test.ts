import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/index.ts';
import { createOcrRunner, type LoadedDocument, loadInput, type OcrMetadata } from '../../indexer/index.ts';
import { mergeRegions, regionCandidates } from '../../indexer/loaders/pdf-ocr-regions.ts';
import type { RegionReading } from '../../indexer/ocr/index.ts';
import { testConfig } from './helpers.ts';
import { mixedPdf, textImage } from './ocr-fixtures.ts';

const GUARD = path.resolve(import.meta.dirname, '../fixtures/ocr/no-network.mjs');
const runner = createOcrRunner({ execArgv: ['--import', GUARD] });
afterAll(() => runner.close());

async function load(name: string, data: Uint8Array, config: Config = testConfig()): Promise<LoadedDocument> {
  const result = await loadInput({ source: name, name, data, metadata: {} }, { config, ocr: runner });
  const [doc] = result.documents;
  if (!doc || result.documents.length !== 1) throw new Error(`${name} made ${result.documents.length} documents`);
  return doc;
}

const LAYER = 'Quarterly report on basalt columns.';
/** Three lines of text and blank space below them: drawn 540 pt wide it covers a third of the page. */
const FIGURE = ['Figure 1 shows the granite quarry.', LAYER, 'Drill cores were logged weekly.', ...Array(7).fill('')];

describe('image-only regions of PDF pages with a text layer', () => {
  it('OCRs a large image and appends only the lines the text layer lacks, flagged in the metadata', async () => {
    const figure = await textImage(FIGURE);
    const pdf = await mixedPdf([{ text: LAYER, image: figure.png }, { text: 'Page two has only text.' }]);
    const doc = await load('report.pdf', pdf);
    expect(doc.text).toBe(
      `${LAYER}\n\nFigure 1 shows the granite quarry.\nDrill cores were logged weekly.\n\nPage two has only text.`,
    );
    // The text layer keeps its offsets; the OCR'd lines come after it, inside the page's span.
    expect(doc.pages).toEqual([
      { page: 1, start: 0, end: 103 },
      { page: 2, start: 105, end: 128 },
    ]);
    const ocr = doc.metadata.ocr as OcrMetadata;
    expect(ocr.pages.map((p) => [p.page, p.engine, p.regions])).toEqual([
      [1, 'tesseract.js@7.0.0/eng', [{ box: [36, 459, 576, 756], lines: 2 }]],
    ]);
  }, 60_000);

  it('leaves small images, images under a text layer (searchable scans) and OCR off alone', async () => {
    const figure = await textImage(FIGURE);
    const pdf = await mixedPdf([
      { text: LAYER, image: figure.png, imageWidth: 200 },
      { text: LAYER, image: figure.png, textY: 600 },
    ]);
    const auto = await load('scan.pdf', pdf);
    const off = await load('scan.pdf', pdf, testConfig({ ingest: { ocr: 'off' } }));
    expect([auto.text, auto.metadata.ocr, off.text, off.metadata.ocr]).toEqual([
      `${LAYER}\n\n${LAYER}`,
      undefined,
      `${LAYER}\n\n${LAYER}`,
      undefined,
    ]);
  }, 60_000);

  it('looks for regions only in auto mode and only when the file has an image XObject', () => {
    const pages = [{ num: 1, text: 'Some text.' }];
    const withImage = new TextEncoder().encode('<< /Type /XObject /Subtype /Image /Width 1 >>');
    const textOnly = new TextEncoder().encode('<< /ProcSet [/PDF /Text /ImageB] >>');
    expect([
      regionCandidates(pages, [], withImage, 'auto'),
      regionCandidates(pages, [], textOnly, 'auto'),
      regionCandidates(pages, [], withImage, 'force'),
      regionCandidates(pages, [1], withImage, 'auto'),
    ]).toEqual([[1], [], [], []]);
  });

  it('appends only new lines, and drops an unsure reading (a photo) rather than add noise', () => {
    const read = (text: string, confidence: number): RegionReading => ({
      box: [0, 0, 10, 10],
      reading: { text, engine: 'e', confidence, tried: ['e'] },
    });
    const pages = [{ num: 1, text: 'Alpha line.\n' }];
    const regions = new Map([[1, [read('Alpha line.\nBeta line.', 0.9), read('~~ |= noise', 0.3)]]]);
    const merged = mergeRegions(pages, regions, 0.6);
    expect(merged.pages).toEqual([{ num: 1, text: 'Alpha line.\n\nBeta line.' }]);
    expect(merged.readings.get(1)).toEqual({
      text: 'Beta line.',
      engine: 'e',
      confidence: 0.6,
      tried: ['e'],
      regions: [
        { box: [0, 0, 10, 10], lines: 1 },
        { box: [0, 0, 10, 10], lines: 0 },
      ],
    });
  });
});
