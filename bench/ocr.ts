/**
 * OCR speed, accuracy and memory, per engine and render scale, in one run.
 *
 *   npm run bench -- ocr [--scales 1.5,2,3] [--engines tesseract,paddle,auto]
 *
 * Pages: the scanned lorem-ipsum page (reference typed from its render), the image-only table
 * (reference: the words of its expected CSV) and the Chinese contract page (reference: its oracle,
 * scored by characters). Each engine and scale runs in its own child process, so the peak RSS
 * reported is that engine's alone (model + one page at a time). `auto` is what ingest runs:
 * tesseract first, PaddleOCR when tesseract is unsure or the page is not Latin script.
 * Progress on stderr; one JSON object on stdout, last.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFParse } from 'pdf-parse';
import { createPaddleEngine, createTesseractEngine } from '../indexer/ocr/engines.ts';
import { createEngineSet, readPageImage } from '../indexer/ocr/page-ocr.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DOCS = path.join(ROOT, 'test/fixtures/docs');
const { values: flags } = parseArgs({
  options: {
    scales: { type: 'string', default: '1.5,2,3' },
    engines: { type: 'string', default: 'tesseract,paddle,auto' },
    child: { type: 'string' },
    scale: { type: 'string' },
  },
});
const log = (message: string) => process.stderr.write(`[bench ocr] ${message}\n`);

interface PageCase {
  file: string;
  reference: string;
  /** Latin text is scored by words, CJK by characters. */
  unit: 'words' | 'chars';
}

function pageCases(): PageCase[] {
  const csv = readFileSync(path.join(DOCS, 'ground_truth/pdf-image-only-table.expected.csv'), 'utf8');
  return [
    {
      file: 'pdf-scanned-no-text-layer.pdf',
      reference: readFileSync(path.join(DOCS, 'ground_truth/pdf-scanned-no-text-layer.reference.txt'), 'utf8'),
      unit: 'words',
    },
    { file: 'pdf-image-only-table.pdf', reference: csv.replace(/[",/]/g, ' '), unit: 'words' },
    { file: 'pdf-chinese-contract.pdf', reference: '甲方：中国饮料有限公司（盖章）', unit: 'chars' },
  ];
}

function tokens(text: string, unit: PageCase['unit']): string[] {
  if (unit === 'chars') return [...text.replace(/\s/g, '')];
  return text
    .toLowerCase()
    .split(/[\s/]+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter(Boolean);
}

/** Share of the reference's words (or characters) found in the text, each found one used once. */
function recall(text: string, page: PageCase): number {
  const bag = new Map<string, number>();
  for (const t of tokens(text, page.unit)) bag.set(t, (bag.get(t) ?? 0) + 1);
  const wanted = tokens(page.reference, page.unit);
  let found = 0;
  for (const t of wanted) {
    const n = bag.get(t) ?? 0;
    if (n > 0) found++;
    bag.set(t, n - 1);
  }
  return Number((found / wanted.length).toFixed(4));
}

async function render(file: string, scale: number): Promise<Buffer> {
  const parser = new PDFParse({ data: new Uint8Array(readFileSync(path.join(DOCS, file))), verbosity: 0 });
  try {
    const shot = await parser.getScreenshot({ partial: [1], scale, imageDataUrl: false, imageBuffer: true });
    return Buffer.from(shot.pages[0]?.data ?? []);
  } finally {
    await parser.destroy();
  }
}

type Reader = (image: Buffer) => Promise<{ text: string; engine: string }>;

async function reader(engine: string): Promise<Reader> {
  if (engine === 'auto') {
    const set = createEngineSet();
    return (image) => readPageImage(image, set);
  }
  const one = engine === 'paddle' ? await createPaddleEngine() : await createTesseractEngine();
  return async (image) => ({ ...(await one.read(image)), engine: one.id });
}

/** In the child: one engine at one scale over every page; prints its measurements as JSON. */
async function child(engine: string, scale: number): Promise<void> {
  const loadStart = performance.now();
  const read = await reader(engine);
  const loadMs = Math.round(performance.now() - loadStart);
  const pages = [];
  let ocrMs = 0;
  for (const page of pageCases()) {
    const image = await render(page.file, scale);
    const start = performance.now();
    const result = await read(image);
    const ms = performance.now() - start;
    ocrMs += ms;
    pages.push({ file: page.file, ms: Math.round(ms), recall: recall(result.text, page), engine: result.engine });
  }
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(
    `${JSON.stringify({ engine, scale, loadMs, pagesPerSecond: pages.length / (ocrMs / 1000), peakRssMb, pages })}\n`,
  );
  process.exit(0);
}

interface Result {
  engine: string;
  scale: number;
  loadMs: number;
  pagesPerSecond: number;
  peakRssMb: number;
  pages: { file: string; ms: number; recall: number; engine: string }[];
}

function runChild(engine: string, scale: number): Result {
  log(`${engine} at scale ${scale}`);
  const out = execFileSync(process.execPath, ['bin/bench.js', 'ocr', '--child', engine, '--scale', String(scale)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Result;
  result.pagesPerSecond = Number(result.pagesPerSecond.toFixed(3));
  return result;
}

function find(results: Result[], engine: string, scale: number): Result | undefined {
  return results.find((r) => r.engine === engine && r.scale === scale);
}

const recallOf = (r: Result | undefined, file: string) => r?.pages.find((p) => p.file === file)?.recall ?? null;
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(3)) : null);

async function main(): Promise<void> {
  const scales = (flags.scales ?? '').split(',').map(Number);
  const engines = (flags.engines ?? '').split(',');
  const results = engines.flatMap((engine) => scales.map((scale) => runChild(engine, scale)));
  const auto = find(results, 'auto', 2);
  const paddle = find(results, 'paddle', 2);
  const tesseract = find(results, 'tesseract', 2);
  const ratios = {
    autoLoremRecallAt2: recallOf(auto, 'pdf-scanned-no-text-layer.pdf'),
    paddleLoremRecallAt2: recallOf(paddle, 'pdf-scanned-no-text-layer.pdf'),
    autoTableRecallAt2: recallOf(auto, 'pdf-image-only-table.pdf'),
    tesseractTableRecallAt2: recallOf(tesseract, 'pdf-image-only-table.pdf'),
    autoContractRecallAt2: recallOf(auto, 'pdf-chinese-contract.pdf'),
    autoPagesPerSecondVsPaddleAt2: ratio(auto?.pagesPerSecond, paddle?.pagesPerSecond),
    paddlePeakRssVsTesseractAt2: ratio(paddle?.peakRssMb, tesseract?.peakRssMb),
  };
  process.stdout.write(`${JSON.stringify({ bench: 'ocr', results, ratios })}\n`);
}

if (flags.child) await child(flags.child, Number(flags.scale));
else await main();
