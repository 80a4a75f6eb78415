import path from 'node:path';
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

/** An image file (PNG, JPEG, TIFF, WebP) is a one-page document whose text is what OCR reads in it. */
export async function loadImage(data: Uint8Array, name: string, options: ImageOptions): Promise<LoadedDocument> {
  const { ingest } = options;
  if (ingest.ocr === 'off') throw new CairnError('UNSUPPORTED_TYPE', 'Image files need OCR, and ingest.ocr is off');
  const { ocrMetadata, sharedOcrRunner } = await import('../ocr/index.ts');
  const runner = options.runner ?? sharedOcrRunner();
  const reading = await runner.readImage(data, {
    maxPixels: ingest.ocrMaxPixels,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onPage?.(1, 1);
  if (reading.text === '') throw new CairnError('OCR_NO_TEXT', 'OCR found no text in the image');
  const metadata = ocrMetadata(new Map([[1, reading]]), ingest.ocr === 'force' ? 'force' : 'auto', ingest.ocrMinConfidence);
  return {
    text: reading.text,
    mime: imageMime(data) ?? 'application/octet-stream',
    title: path.basename(name),
    language: detectLanguage(reading.text),
    pages: [{ page: 1, start: 0, end: reading.text.length }],
    outline: [],
    metadata: { pageCount: 1, ocr: metadata },
    kind: 'text',
  };
}
