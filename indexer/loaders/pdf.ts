import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { CairnError, type PageSpan } from '../../core/index.ts';
import type { LoadedDocument } from '../types.ts';
import { detectLanguage } from './language.ts';
import { hasRtl, repairRtlLine, rtlClusters } from './pdf-bidi.ts';
import { ocrPdfPages, type PdfOcrSettings } from './pdf-ocr.ts';
import { BLANK, multiCharToUnicodeTexts } from './pdf-tounicode.ts';
import { repairFontMaps } from './pdf-update.ts';

export interface PdfOptions {
  /** Passwords by file name or path (config.ingest.pdfPasswords). */
  passwords: Record<string, string>;
  /** A password given with the request, tried when none is configured for the file. */
  password?: string;
  maxPages: number;
  /** OCR of pages without a text layer; absent: none (as ingest.ocr 'off'). */
  ocr?: PdfOcrSettings;
}

function passwordFor(source: string, options: PdfOptions): string | undefined {
  return options.passwords[source] ?? options.passwords[path.basename(source)] ?? options.password;
}

function toCairnPdfError(error: unknown, hadPassword: boolean): CairnError {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  if (name === 'PasswordException') {
    return hadPassword
      ? new CairnError('PDF_BAD_PASSWORD', 'The PDF password is wrong')
      : new CairnError('PDF_ENCRYPTED', 'The PDF is encrypted; give its password (--password or ingest.pdfPasswords)');
  }
  return new CairnError('LOADER_FAILED', `The PDF could not be read: ${message}`);
}

/**
 * RTL lines pdf.js scrambled are repaired from the file's own multi-character ToUnicode entries;
 * the font maps are read only when some page has RTL text. Line lengths never change.
 */
function repairRtlPages(pages: { num: number; text: string }[], data: Uint8Array): { num: number; text: string }[] {
  if (!pages.some((page) => hasRtl(page.text))) return pages;
  const clusters = rtlClusters(multiCharToUnicodeTexts(data));
  if (clusters.length === 0) return pages;
  return pages.map((page) => ({
    ...page,
    text: page.text
      .split('\n')
      .map((line) => repairRtlLine(line, clusters))
      .join('\n'),
  }));
}

/** Pages joined by blank lines; each page's range in the joined text is kept for citations. */
function joinPages(pages: { num: number; text: string }[]): { text: string; spans: PageSpan[] } {
  let text = '';
  const spans: PageSpan[] = [];
  for (const page of pages) {
    const body = page.text.replace(/\s+$/, '');
    if (text && body) text += '\n\n';
    const start = text.length;
    text += body;
    spans.push({ page: page.num, start, end: text.length });
  }
  return { text, spans };
}

interface PdfText {
  pages: { num: number; text: string }[];
  total: number;
  title: string | undefined;
}

async function readPdf(bytes: Uint8Array, password: string | undefined, maxPages: number): Promise<PdfText> {
  const parser = new PDFParse({ data: bytes, verbosity: 0, ...(password ? { password } : {}) });
  try {
    const result = await parser.getText({ first: maxPages });
    const info = await parser.getInfo().catch(() => null);
    const title = typeof info?.info?.Title === 'string' && info.info.Title.trim() ? info.info.Title.trim() : undefined;
    return { pages: result.pages, total: result.total, title };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * Text with repaired font maps when the file needs them. Should pdf.js reject the repaired file,
 * the original is read as before: a repair may never cost a document.
 */
async function readRepaired(data: Uint8Array, password: string | undefined, maxPages: number): Promise<PdfText> {
  const repaired = repairFontMaps(data);
  // pdf.js takes ownership of the buffer it is given: hand it a copy (the repaired file is one).
  if (!repaired) return readPdf(new Uint8Array(data), password, maxPages);
  const read = await readPdf(repaired.data, password, maxPages).catch(() => undefined);
  if (!read) return readPdf(new Uint8Array(data), password, maxPages);
  if (!repaired.blanked) return read;
  return { ...read, pages: read.pages.map((page) => ({ ...page, text: page.text.replaceAll(BLANK, '') })) };
}

function noText(mode: PdfOcrSettings['mode']): CairnError {
  return mode === 'off'
    ? new CairnError('PDF_NO_TEXT', 'no extractable text (scanned? OCR is off: set ingest.ocr to auto)')
    : new CairnError('PDF_NO_TEXT', 'no text found, neither in the text layer nor by OCR');
}

export async function loadPdf(data: Uint8Array, source: string, options: PdfOptions): Promise<LoadedDocument> {
  const password = passwordFor(source, options);
  try {
    const read = await readRepaired(data, password, options.maxPages);
    const layered = repairRtlPages(read.pages, data);
    const ocr = options.ocr ? await ocrPdfPages(layered, data, password, options.ocr) : { pages: layered };
    const { text, spans } = joinPages(ocr.pages);
    if (text.trim() === '') throw noText(options.ocr?.mode ?? 'off');
    const metadata: Record<string, unknown> = { pageCount: read.total };
    if (ocr.metadata) metadata.ocr = ocr.metadata;
    if (read.total > options.maxPages) metadata.truncatedAtPage = options.maxPages;
    return {
      text,
      mime: 'application/pdf',
      title: read.title ?? path.basename(source),
      language: detectLanguage(text),
      pages: spans,
      outline: [],
      metadata,
      kind: 'pdf',
    };
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw toCairnPdfError(error, password !== undefined);
  }
}
