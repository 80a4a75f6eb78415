// pdf-parse and pdf.js take ~0.4 s to import: they load with the first PDF, not with every process
// (the server and its search workers reach this module through the indexer's door).
import type { PDFParse } from 'pdf-parse';
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** An open PDF in the OCR worker: its parser and each page's size in points. */
export interface OpenPdf {
  parser: PDFParse;
  sizes: Map<number, { width: number; height: number }>;
}

export async function openPdf(data: Uint8Array, password: string | undefined): Promise<OpenPdf> {
  const { PDFParse } = await import('pdf-parse');
  const parser = new PDFParse({ data, verbosity: 0, ...(password ? { password } : {}) });
  const info = await parser.getInfo({ parsePageInfo: true });
  const sizes = new Map((info.pages ?? []).map((page) => [page.pageNumber, { width: page.width, height: page.height }]));
  return { parser, sizes };
}

/** The render scale, lowered so the page image stays within maxPixels (what bounds memory per page). */
export function fitScale(size: { width: number; height: number } | undefined, scale: number, maxPixels: number): number {
  if (!size || size.width <= 0 || size.height <= 0) return scale;
  const largest = Math.sqrt(maxPixels / (size.width * size.height));
  return Math.min(scale, largest);
}

export async function renderPage(pdf: OpenPdf, page: number, scale: number, maxPixels: number): Promise<Buffer> {
  const fitted = fitScale(pdf.sizes.get(page), scale, maxPixels);
  const shot = await pdf.parser.getScreenshot({ partial: [page], scale: fitted, imageDataUrl: false, imageBuffer: true });
  const image = shot.pages[0]?.data;
  if (!image) throw new Error(`page ${page} could not be rendered`);
  return Buffer.from(image);
}

/**
 * Any supported image (PNG, JPEG, TIFF, WebP) as a PNG on white, turned upright by its EXIF
 * orientation and scaled down to maxPixels: the one form both engines read.
 */
export async function normalizeImage(data: Uint8Array, maxPixels: number, page = 1): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const image = sharp(data, { limitInputPixels: maxPixels * 16, page: page - 1 }).rotate();
  const meta = await image.metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  const shrink = width * height > maxPixels ? Math.sqrt(maxPixels / (width * height)) : 1;
  const sized = shrink < 1 ? image.resize({ width: Math.floor(width * shrink) }) : image;
  return sized.flatten({ background: '#ffffff' }).png().toBuffer();
}

/** Pages in an image file: a multi-page TIFF has several, every other image one. */
export async function imagePageCount(data: Uint8Array): Promise<number> {
  const { default: sharp } = await import('sharp');
  const meta = await sharp(data).metadata();
  return meta.format === 'tiff' ? (meta.pages ?? 1) : 1;
}

/** pdf.js's operator numbers, loaded with pdf.js on first use. */
export async function pdfOps() {
  return (await import('pdfjs-dist/legacy/build/pdf.mjs')).OPS;
}

let imageOps: Promise<ReadonlySet<number>> | undefined;

/** pdf.js operators that paint an image (solid colour masks excepted: they are fills). */
export function imageOperators(): Promise<ReadonlySet<number>> {
  imageOps ??= pdfOps().then(
    (OPS) =>
      new Set<number>([
        OPS.paintImageMaskXObject,
        OPS.paintImageMaskXObjectGroup,
        OPS.paintImageXObject,
        OPS.paintInlineImageXObject,
        OPS.paintInlineImageXObjectGroup,
        OPS.paintImageXObjectRepeat,
        OPS.paintImageMaskXObjectRepeat,
      ]),
  );
  return imageOps;
}

/**
 * Whether the page paints an image: a page with little text and no image is short, not scanned,
 * and OCR would only misread what its text layer already says. Read from pdf-parse's pdf.js
 * document; should a version hide it, every candidate page counts as drawing one.
 */
export async function drawsImage(pdf: OpenPdf, page: number): Promise<boolean> {
  const doc = (pdf.parser as unknown as { doc?: PDFDocumentProxy }).doc;
  if (!doc) return true;
  const proxy = await doc.getPage(page);
  const operators = await proxy.getOperatorList();
  const painters = await imageOperators();
  return operators.fnArray.some((fn) => painters.has(fn));
}
