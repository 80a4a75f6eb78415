import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PageReading } from './page-ocr.ts';
import { imageOperators, type OpenPdf, pdfOps } from './render.ts';

/** A box on the page in PDF points: [x0, y0, x1, y1], y up. */
export type Box = [number, number, number, number];

/** What OCR read in one large image of a page that has a text layer. */
export interface RegionReading {
  box: Box;
  reading: PageReading;
}

type Matrix = [number, number, number, number, number, number];

/** m applied first, then t (pdf.js's Util.transform(t, m)). */
function multiply(t: Matrix, m: Matrix): Matrix {
  return [
    t[0] * m[0] + t[2] * m[1],
    t[1] * m[0] + t[3] * m[1],
    t[0] * m[2] + t[2] * m[3],
    t[1] * m[2] + t[3] * m[3],
    t[0] * m[4] + t[2] * m[5] + t[4],
    t[1] * m[4] + t[3] * m[5] + t[5],
  ];
}

/** Where the unit square an image is painted into lands on the page (its bounding box). */
function unitSquare(ctm: Matrix): Box {
  const corners = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ].map(([x = 0, y = 0]) => [ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]] as const);
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function clip(box: Box, view: Box): Box {
  return [Math.max(box[0], view[0]), Math.max(box[1], view[1]), Math.min(box[2], view[2]), Math.min(box[3], view[3])];
}

const area = (box: Box) => Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);

/**
 * The boxes of the images a page paints over at least minShare of its area, from its operator list
 * (the check the OCR render already makes, with the transform tracked through save/restore and forms).
 */
export async function largeImageBoxes(pdf: OpenPdf, page: number, minShare: number, maxTextChars: number): Promise<Box[]> {
  const doc = (pdf.parser as unknown as { doc?: PDFDocumentProxy }).doc;
  if (!doc) return [];
  const proxy = await doc.getPage(page);
  const view = proxy.view as Box;
  const { fnArray, argsArray } = await proxy.getOperatorList();
  const [OPS, painters] = [await pdfOps(), await imageOperators()];
  const stack: Matrix[] = [];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const boxes: Box[] = [];
  fnArray.forEach((fn, i) => {
    const args = argsArray[i] as unknown[] | null;
    if (fn === OPS.save || fn === OPS.paintFormXObjectBegin) stack.push(ctm);
    if (fn === OPS.restore || fn === OPS.paintFormXObjectEnd) ctm = stack.pop() ?? ctm;
    if (fn === OPS.transform) ctm = multiply(ctm, args as Matrix);
    if (fn === OPS.paintFormXObjectBegin && Array.isArray(args?.[0])) ctm = multiply(ctm, args[0] as Matrix);
    if (painters.has(fn)) {
      const box = clip(unitSquare(ctm), view);
      if (area(box) >= minShare * area(view)) boxes.push(box);
    }
  });
  return boxes.length === 0 ? boxes : withoutTextLayer(proxy, boxes, maxTextChars);
}

const inside = (box: Box, x: number, y: number) => x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];

/**
 * The boxes the text layer barely reaches into: a searchable scan lays its (invisible) text over its
 * image, so that image is already read, and OCR would only cost time.
 */
async function withoutTextLayer(proxy: PDFPageProxy, boxes: Box[], maxTextChars: number): Promise<Box[]> {
  const { items } = await proxy.getTextContent();
  const placed = items.flatMap((item) =>
    'str' in item
      ? [{ x: item.transform[4] as number, y: item.transform[5] as number, chars: item.str.replace(/\s+/g, '').length }]
      : [],
  );
  return boxes.filter((box) => {
    const chars = placed.filter((t) => inside(box, t.x, t.y)).reduce((sum, t) => sum + t.chars, 0);
    return chars < maxTextChars;
  });
}

/** The box in the pixels of the page rendered at scale (pdf.js's viewport handles rotation and the view's origin). */
export async function boxToPixels(pdf: OpenPdf, page: number, box: Box, scale: number): Promise<Box> {
  const doc = (pdf.parser as unknown as { doc?: PDFDocumentProxy }).doc;
  if (!doc) return box;
  const viewport = (await doc.getPage(page)).getViewport({ scale });
  const [x0, y0, x1, y1] = viewport.convertToViewportRectangle(box) as Box;
  return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
}

const normal = (line: string) => line.toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * The OCR'd lines the page's text layer does not already hold (a searchable scan's image repeats
 * its text layer; only what is in the picture alone is new).
 */
export function newLines(ocrText: string, layerText: string): string[] {
  const layer = normal(layerText);
  return ocrText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !layer.includes(normal(line)));
}
