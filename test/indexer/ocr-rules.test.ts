import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError, loadConfig } from '../../core/index.ts';
import { loadInput, type OcrRunner, sniffKind } from '../../indexer/index.ts';
import { pagesToOcr } from '../../indexer/loaders/pdf-ocr.ts';
import {
  chooseReading,
  type EngineReading,
  fitScale,
  gluedShare,
  keepTesseract,
  normalizeWidth,
  ocrMetadata,
  tidyLines,
} from '../../indexer/ocr/index.ts';
import { createTestEnv, type TestEnv } from '../server/helpers.ts';
import { fixture, testConfig } from './helpers.ts';

const tesseract = (text: string, confidence: number): EngineReading => ({ engine: 'tesseract', text, confidence });
const paddle = (text: string, confidence: number): EngineReading => ({ engine: 'paddle', text, confidence });

// A line of the lorem-ipsum scan as each engine read it (PaddleOCR loses the spaces of justified lines).
const LOREM = 'molestie imperdiet nec nec turpis. Nulla non felis placerat, commodo urna';
const GLUED = 'molestieimperdietnecnecturpis.Nulla nonfelisplacerat,commodourna';

describe('engine choice per page', () => {
  it('keeps a confident Latin tesseract reading without running PaddleOCR', () => {
    expect(keepTesseract(tesseract(LOREM, 0.94))).toBe(true);
    // The table scan: 0.86, rows missed.
    expect(keepTesseract(tesseract('Low Vision 5 2 3 98.3% n=2', 0.86))).toBe(false);
    expect(keepTesseract(tesseract('ABE ASAS', 0.95 * 0 + 0.3))).toBe(false);
    expect(keepTesseract(tesseract('中国饮料有限公司 ok', 0.95))).toBe(false);
  });

  it('takes PaddleOCR for CJK and tables, tesseract when PaddleOCR ran Latin words together', () => {
    expect(gluedShare(GLUED)).toBe(1);
    expect(gluedShare(LOREM)).toBe(0);
    expect(chooseReading(tesseract(LOREM, 0.85), paddle(GLUED, 0.97)).engine).toBe('tesseract');
    expect(chooseReading(tesseract('ill', 0.4), paddle('甲方：中国饮料有限公司（盖章）', 0.99)).engine).toBe('paddle');
    expect(chooseReading(tesseract('Blind 5 1', 0.86), paddle('Blind 5 1 4 34.5%, n=1', 0.98)).engine).toBe('paddle');
    expect(chooseReading(tesseract('Some words here', 0.5), paddle('', 0)).engine).toBe('tesseract');
  });
});

describe('OCR text', () => {
  it('makes full-width digits and letters ASCII, and punctuation too only on lines without CJK', () => {
    expect(normalizeWidth('日期：２０１９年４月')).toBe('日期：2019年4月');
    expect(normalizeWidth('甲方：中国饮料有限公司（盖章）')).toBe('甲方：中国饮料有限公司（盖章）');
    expect(normalizeWidth('Ｔｏｔａｌ：１２（ｎ＝３）')).toBe('Total:12(n=3)');
  });

  it('trims lines and keeps one blank line between paragraphs', () => {
    expect(tidyLines(['  a  b ', '', '', '', 'c', ''])).toBe('a b\n\nc');
  });

  it('records each page engine and confidence, and warns of low-confidence pages', () => {
    const readings = new Map([
      [1, { text: 'clear', engine: 'tesseract.js@7.0.0/eng', confidence: 0.9412, tried: [] }],
      [3, { text: 'smudged', engine: 'paddleocr-ppocrv4@ocr-node-1.4.8', confidence: 0.41, tried: [] }],
    ]);
    expect(ocrMetadata(readings, 'auto', 0.6)).toEqual({
      mode: 'auto',
      pages: [
        { page: 1, engine: 'tesseract.js@7.0.0/eng', confidence: 0.941 },
        { page: 3, engine: 'paddleocr-ppocrv4@ocr-node-1.4.8', confidence: 0.41 },
      ],
      engines: ['tesseract.js@7.0.0/eng', 'paddleocr-ppocrv4@ocr-node-1.4.8'],
      meanConfidence: 0.676,
      lowConfidencePages: [3],
      warning: 'OCR confidence under 0.6 on page 3: check the text',
    });
  });

  it('chooses pages by mode: auto those with too little text, force all, off none', () => {
    const pages = [
      { num: 1, text: 'A page with a real text layer' },
      { num: 2, text: ' \n ' },
      { num: 3, text: '- 3 -' },
    ];
    expect([pagesToOcr(pages, 'auto', 16), pagesToOcr(pages, 'force', 16), pagesToOcr(pages, 'off', 16)]).toEqual([
      [2, 3],
      [1, 2, 3],
      [],
    ]);
  });

  it('lowers the render scale to keep a page within the pixel limit', () => {
    expect(fitScale({ width: 612, height: 792 }, 2, 8_000_000)).toBe(2);
    expect(fitScale({ width: 2384, height: 3370 }, 2, 8_000_000)).toBeCloseTo(0.9979, 4);
  });
});

/** A runner that answers from a script and records what it was asked. */
function fakeRunner(text: string, confidence: number): OcrRunner & { calls: string[] } {
  const calls: string[] = [];
  const reading = { text, engine: 'fake', confidence, tried: ['fake'] };
  return {
    calls,
    engines: ['fake'],
    async readPdfPages(_data, pages) {
      calls.push(`pdf ${pages.join(',')}`);
      return { readings: new Map(pages.map((page) => [page, reading])), timedOut: [] };
    },
    async readImagePages() {
      calls.push('image');
      return { readings: new Map([[1, reading]]), timedOut: [] };
    },
    async readImage() {
      calls.push('image');
      return reading;
    },
    running: () => false,
    close: async () => undefined,
  };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

describe('loaders with OCR', () => {
  it('sniffs PNG, JPEG, TIFF and WebP as images', () => {
    const webp = new Uint8Array([0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50]);
    const kinds = [PNG, new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), new Uint8Array([0x49, 0x49, 0x2a, 0]), webp].map((data) =>
      sniffKind(data, 'scan'),
    );
    expect(kinds).toEqual(['image', 'image', 'image', 'image']);
  });

  it('never OCRs a PDF whose pages have text in auto mode (the contract oracle stays the text layer)', async () => {
    const runner = fakeRunner('wrong', 0.99);
    const data = fixture('pdf-chinese-contract.pdf');
    const result = await loadInput({ source: 'c.pdf', name: 'c.pdf', data, metadata: {} }, { config: testConfig(), ocr: runner });
    expect(result.documents[0]?.text.trim()).toBe('甲方：中国饮料有限公司（盖章）');
    expect([runner.calls, result.documents[0]?.metadata]).toEqual([[], { pageCount: 1 }]);
  });

  it('reports a low-confidence image page in the metadata instead of keeping it silently', async () => {
    const runner = fakeRunner('Fa1nt t3xt', 0.42);
    const result = await loadInput(
      { source: 's.png', name: 's.png', data: PNG, metadata: {} },
      { config: testConfig(), ocr: runner },
    );
    const doc = result.documents[0];
    expect([doc?.text, doc?.mime, doc?.pages]).toEqual(['Fa1nt t3xt', 'image/png', [{ page: 1, start: 0, end: 10 }]]);
    expect((doc?.metadata.ocr as { warning?: string } | undefined)?.warning).toBe(
      'OCR confidence under 0.6 on page 1: check the text',
    );
  });

  it('fails an image clearly when OCR is off or finds nothing', async () => {
    const input = { source: 's.png', name: 's.png', data: PNG, metadata: {} };
    const off = await loadInput(input, { config: testConfig({ ingest: { ocr: 'off' } }), ocr: fakeRunner('x', 1) }).catch(
      (e) => e,
    );
    const empty = await loadInput(input, { config: testConfig(), ocr: fakeRunner('', 0) }).catch((e) => e);
    expect([isCairnError(off, 'UNSUPPORTED_TYPE'), isCairnError(empty, 'OCR_NO_TEXT')]).toEqual([true, true]);
  });
});

describe('config and /health', () => {
  let env: TestEnv | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('defaults ingest.ocr to auto and reads CAIRN_OCR', () => {
    expect(testConfig().ingest.ocr).toBe('auto');
    expect(loadConfig({ cwd: '/nonexistent', env: { CAIRN_OCR: 'off' } }).ingest.ocr).toBe('off');
  });

  it('reports the OCR mode and engines', async () => {
    env = createTestEnv();
    const health = (await (await env.app.request('/health')).json()) as { ocr: unknown };
    expect(health.ocr).toEqual({
      mode: 'auto',
      engines: ['tesseract.js@7.0.0/eng', 'paddleocr-ppocrv4@ocr-node-1.4.8'],
      renderScale: 2,
    });
  });
});
