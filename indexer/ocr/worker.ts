import { parentPort } from 'node:worker_threads';
import { createEngineSet, type PageReading, readPageImage } from './page-ocr.ts';
import { drawsImage, imagePageCount, normalizeImage, type OpenPdf, openPdf, renderPage } from './render.ts';

/** Requests the OCR worker answers, one at a time (the runner never sends the next before a reply). */
export type OcrRequest =
  | { id: number; type: 'open'; data: Uint8Array; password?: string }
  /** onlyWithImage: skip (answer null for) a page that paints no image. */
  | { id: number; type: 'page'; page: number; scale: number; maxPixels: number; onlyWithImage: boolean }
  /** page: which page of a multi-page image (TIFF), from 1; the first when absent. */
  | { id: number; type: 'image'; data: Uint8Array; maxPixels: number; page?: number }
  /** How many pages the image has (a multi-page TIFF more than one). */
  | { id: number; type: 'imagePages'; data: Uint8Array }
  | { id: number; type: 'close' };

export type OcrReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

const engines = createEngineSet();
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
