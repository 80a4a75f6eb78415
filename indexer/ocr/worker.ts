import { parentPort } from 'node:worker_threads';
import { createEngineSet, type PageReading, readPageImage } from './page-ocr.ts';
import { type Box, boxToPixels, largeImageBoxes, type RegionReading } from './regions.ts';
import { drawsImage, fitScale, imagePageCount, normalizeImage, type OpenPdf, openPdf, renderPage } from './render.ts';

/** Requests the OCR worker answers, one at a time (the runner never sends the next before a reply). */
export type OcrRequest =
  | { id: number; type: 'open'; data: Uint8Array; password?: string }
  /** onlyWithImage: skip (answer null for) a page that paints no image. */
  | { id: number; type: 'page'; page: number; scale: number; maxPixels: number; onlyWithImage: boolean }
  /** page: which page of a multi-page image (TIFF), from 1; the first when absent. */
  | { id: number; type: 'image'; data: Uint8Array; maxPixels: number; page?: number }
  /** How many pages the image has (a multi-page TIFF more than one). */
  | { id: number; type: 'imagePages'; data: Uint8Array }
  /** OCR the images covering at least minShare of a text page (answer null when there are none). */
  | { id: number; type: 'regions'; page: number; scale: number; maxPixels: number; minShare: number; maxTextChars: number }
  | { id: number; type: 'close' };

export type OcrReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

const engines = createEngineSet();

/** Each large image's box cropped from the page render and read; null when the page has none. */
async function readRegions(
  open: OpenPdf,
  request: { page: number; scale: number; maxPixels: number; minShare: number; maxTextChars: number },
): Promise<RegionReading[] | null> {
  const boxes = await largeImageBoxes(open, request.page, request.minShare, request.maxTextChars);
  if (boxes.length === 0) return null;
  const scale = fitScale(open.sizes.get(request.page), request.scale, request.maxPixels);
  const image = await renderPage(open, request.page, scale, request.maxPixels);
  const { default: sharp } = await import('sharp');
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const read: RegionReading[] = [];
  for (const box of boxes) {
    const [x0, y0, x1, y1] = await boxToPixels(open, request.page, box, scale);
    const left = Math.max(0, Math.floor(x0));
    const top = Math.max(0, Math.floor(y0));
    const crop = { left, top, width: Math.min(width, Math.ceil(x1)) - left, height: Math.min(height, Math.ceil(y1)) - top };
    if (crop.width < 8 || crop.height < 8) continue;
    const region = await sharp(image).extract(crop).png().toBuffer();
    read.push({ box: box.map((v) => Math.round(v)) as Box, reading: await readPageImage(region, engines) });
  }
  return read;
}
let pdf: OpenPdf | null = null;

async function closePdf(): Promise<void> {
  const open = pdf;
  pdf = null;
  await open?.parser.destroy().catch(() => undefined);
}

async function handle(request: OcrRequest): Promise<unknown> {
  switch (request.type) {
    case 'open':
      await closePdf();
      pdf = await openPdf(request.data, request.password);
      return { pages: pdf.sizes.size };
    case 'page': {
      if (!pdf) throw new Error('no PDF is open');
      if (request.onlyWithImage && !(await drawsImage(pdf, request.page))) return null;
      const image = await renderPage(pdf, request.page, request.scale, request.maxPixels);
      return readPageImage(image, engines) satisfies Promise<PageReading>;
    }
    case 'image':
      return readPageImage(await normalizeImage(request.data, request.maxPixels, request.page ?? 1), engines);
    case 'imagePages':
      return imagePageCount(request.data);
    case 'regions':
      if (!pdf) throw new Error('no PDF is open');
      return readRegions(pdf, request);
    case 'close':
      return closePdf();
  }
}

parentPort?.on('message', (request: OcrRequest) => {
  handle(request).then(
    (value) => parentPort?.postMessage({ id: request.id, ok: true, value } satisfies OcrReply),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies OcrReply),
  );
});
