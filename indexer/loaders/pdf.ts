import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { CairnError, type PageSpan } from '../../core/index.ts';
import type { LoadedDocument } from '../types.ts';
import { detectLanguage } from './language.ts';

export interface PdfOptions {
  /** Passwords by file name or path (config.ingest.pdfPasswords). */
  passwords: Record<string, string>;
  /** A password given with the request, tried when none is configured for the file. */
  password?: string;
  maxPages: number;
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

export async function loadPdf(data: Uint8Array, source: string, options: PdfOptions): Promise<LoadedDocument> {
  const password = passwordFor(source, options);
  // pdf.js takes ownership of the buffer it is given: hand it a copy.
  const parser = new PDFParse({ data: new Uint8Array(data), verbosity: 0, ...(password ? { password } : {}) });
  try {
    const result = await parser.getText({ last: options.maxPages });
    const { text, spans } = joinPages(result.pages);
    if (text.trim() === '') throw new CairnError('PDF_NO_TEXT', 'no extractable text (scanned? OCR not enabled)');
    const info = await parser.getInfo().catch(() => null);
    const title =
      typeof info?.info?.Title === 'string' && info.info.Title.trim() ? info.info.Title.trim() : path.basename(source);
    const metadata: Record<string, unknown> = { pageCount: result.total };
    if (result.total > options.maxPages) metadata.truncatedAtPage = options.maxPages;
    return {
      text,
      mime: 'application/pdf',
      title,
      language: detectLanguage(text),
      pages: spans,
      outline: [],
      metadata,
      kind: 'pdf',
    };
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw toCairnPdfError(error, password !== undefined);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
