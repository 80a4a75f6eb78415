import path from 'node:path';
import type { PageSpan } from '../../core/index.ts';
import { CairnError, type Config } from '../../core/index.ts';
import type { OcrRunner } from '../ocr/index.ts';
import type { LoadedDocument } from '../types.ts';
import { detectLanguage } from './language.ts';
import { imageMime } from './sniff.ts';

export interface ImageOptions {
  ingest: Config['ingest'];
  runner?: OcrRunner;
  signal?: AbortSignal;
  onPage?: (done: number, total: number) => void;
}

/** Pages joined by blank lines, as PDF pages are, each page's range kept for citations. */
function joinPages(pages: { num: number; text: string }[]): { text: string; spans: PageSpan[] } {
  let text = '';
  const spans: PageSpan[] = [];
  for (const page of pages) {
    if (text && page.text) text += '\n\n';
    const start = text.length;
    text += page.text;
    spans.push({ page: page.num, start, end: text.length });
  }
  return { text, spans };
}

/**
 * An image file (PNG, JPEG, TIFF, WebP) is a document whose text is what OCR reads in it: one page,
 * or one per page of a multi-page TIFF (read one at a time, with progress and cancel between pages).
 */
export async function loadImage(data: Uint8Array, name: string, options: ImageOptions): Promise<LoadedDocument> {
  const { ingest } = options;
  if (ingest.ocr === 'off') throw new CairnError('UNSUPPORTED_TYPE', 'Image files need OCR, and ingest.ocr is off');
  const { ocrMetadata, sharedOcrRunner } = await import('../ocr/index.ts');
  const runner = options.runner ?? sharedOcrRunner();
  const { readings, timedOut } = await runner.readImagePages(data, {
    maxPixels: ingest.ocrMaxPixels,
    pageTimeoutMs: ingest.ocrPageTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onPage ? { onPage: options.onPage } : {}),
  });
  const count = readings.size + timedOut.length;
  const pages = Array.from({ length: count }, (_, i) => ({ num: i + 1, text: readings.get(i + 1)?.text ?? '' }));
  const { text, spans } = joinPages(pages);
  if (text === '') throw new CairnError('OCR_NO_TEXT', 'OCR found no text in the image');
  const mode = ingest.ocr === 'force' ? 'force' : 'auto';
  const metadata = ocrMetadata(readings, mode, ingest.ocrMinConfidence, { pages: timedOut, limitMs: ingest.ocrPageTimeoutMs });
  return {
    text,
    mime: imageMime(data) ?? 'application/octet-stream',
    title: path.basename(name),
    language: detectLanguage(text),
    pages: spans,
    outline: [],
    metadata: { pageCount: count, ocr: metadata },
    kind: 'text',
  };
}
