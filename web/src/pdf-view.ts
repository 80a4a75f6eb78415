import type { PDFPageProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

/** pdf.js, loaded only when a PDF source is opened (it is most of the app's weight). */
async function pdfjs() {
  const lib = await import('pdfjs-dist');
  lib.GlobalWorkerOptions.workerSrc = workerUrl;
  return lib;
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

interface Item {
  str: string;
  transform: number[];
  width: number;
  height: number;
}

/** Which text items of the page hold the quote: their concatenated text is searched, whitespace-blind. */
function itemsOfQuote(items: Item[], quote: string): Item[] {
  let joined = '';
  const owners: number[] = [];
  items.forEach((item, index) => {
    for (const ch of `${squash(item.str)} `) {
      joined += ch;
      owners.push(index);
    }
  });
  joined = joined.replace(/ +/g, ' ');
  const wanted = squash(quote);
  // Long quotes are found by their first and last words, which survive hyphenation fixes in the text.
  let at = joined.indexOf(wanted);
  let length = wanted.length;
  if (at < 0 && wanted.length > 60) {
    at = joined.indexOf(wanted.slice(0, 40));
    const tail = joined.indexOf(wanted.slice(-40), Math.max(at, 0));
    length = tail < 0 ? 40 : tail + 40 - at;
  }
  if (at < 0) return [];
  const picked = new Set(owners.slice(at, at + length));
  return items.filter((_, index) => picked.has(index));
}

function drawHighlights(canvas: HTMLCanvasElement, page: PDFPageProxy, scale: number, items: Item[]): DOMRect | null {
  const viewport = page.getViewport({ scale });
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.fillStyle = 'rgba(250, 204, 21, 0.4)';
  let top = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const [, , , , x = 0, y = 0] = item.transform;
    const [x1, y1, x2, y2] = viewport.convertToViewportRectangle([x, y, x + item.width, y + item.height]) as number[];
    const left = Math.min(x1 ?? 0, x2 ?? 0);
    const upper = Math.min(y1 ?? 0, y2 ?? 0);
    context.fillRect(left, upper, Math.abs((x2 ?? 0) - (x1 ?? 0)), Math.abs((y2 ?? 0) - (y1 ?? 0)) + 2);
    top = Math.min(top, upper);
  }
  return Number.isFinite(top) ? new DOMRect(0, top / (window.devicePixelRatio || 1), 1, 1) : null;
}

/**
 * Renders one page of the PDF into `host`, with the quote's text runs painted over; resolves with
 * whether the quote was found on the page (the caller scrolls to the mark it adds).
 */
export async function renderPdfPage(host: HTMLElement, data: ArrayBuffer, pageNumber: number, quote: string): Promise<boolean> {
  const lib = await pdfjs();
  const pdf = await lib.getDocument({ data, isEvalSupported: false }).promise;
  const page = await pdf.getPage(Math.min(Math.max(pageNumber, 1), pdf.numPages));
  const width = Math.max(host.clientWidth, 280);
  const scale = (width / page.getViewport({ scale: 1 }).width) * (window.devicePixelRatio || 1);
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${width}px`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `page ${page.pageNumber}`);
  const context = canvas.getContext('2d');
  if (!context) return false;
  await page.render({ canvasContext: context, viewport, canvas }).promise;
  const content = await page.getTextContent();
  const items = itemsOfQuote(content.items.filter((i): i is Item & typeof i => 'str' in i) as Item[], quote);
  const mark = drawHighlights(canvas, page, scale, items);
  host.replaceChildren(canvas);
  if (mark) {
    const pin = document.createElement('span');
    pin.className = 'pdf-mark';
    pin.style.top = `${mark.top}px`;
    host.append(pin);
  }
  return items.length > 0;
}
