import { parentPort } from 'node:worker_threads';
import { createEngineSet, type PageReading, readPageImage } from './page-ocr.ts';
import { drawsImage, normalizeImage, type OpenPdf, openPdf, renderPage } from './render.ts';

/** Requests the OCR worker answers, one at a time (the runner never sends the next before a reply). */
export type OcrRequest =
  | { id: number; type: 'open'; data: Uint8Array; password?: string }
  /** onlyWithImage: skip (answer null for) a page that paints no image. */
  | { id: number; type: 'page'; page: number; scale: number; maxPixels: number; onlyWithImage: boolean }
  | { id: number; type: 'image'; data: Uint8Array; maxPixels: number }
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
      return readPageImage(await normalizeImage(request.data, request.maxPixels), engines);
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
