import { z } from 'zod';
import { CairnError, type Document } from '../../core/index.ts';

/** Characters one read returns unless the caller asks for fewer or more. */
export const DEFAULT_READ_CHARS = 20_000;
export const MAX_READ_CHARS = 100_000;

/** The range options shared by the get_document tool and the document resources. */
export const rangeFields = {
  start: z.number().int().min(0).optional().describe('First character (offset into the document text, as in citations)'),
  end: z.number().int().min(0).optional().describe('Character after the last one (exclusive)'),
  page: z.number().int().min(1).optional().describe('Read one page instead of a character range (PDFs and paged documents)'),
  maxChars: z
    .number()
    .int()
    .min(1)
    .max(MAX_READ_CHARS)
    .optional()
    .describe(`At most this many characters per call (default ${DEFAULT_READ_CHARS}); the rest is paged with nextStart`),
};

export type RangeOptions = {
  start?: number | undefined;
  end?: number | undefined;
  page?: number | undefined;
  maxChars?: number | undefined;
};

export interface DocumentSlice {
  documentId: string;
  title: string;
  source: string;
  mime: string;
  totalChars: number;
  pageCount: number;
  page: number | null;
  start: number;
  end: number;
  text: string;
  /** Where the next call continues when this one was paged; null when the range was read whole. */
  nextStart: number | null;
  /** The end of the range asked for (the page's end, `end`, or the document's end). */
  requestedEnd: number;
}

function requestedRange(doc: Document, options: RangeOptions): { start: number; end: number; page: number | null } {
  const total = doc.text.length;
  if (options.page !== undefined) {
    if (options.start !== undefined || options.end !== undefined) {
      throw new CairnError('VALIDATION', 'Give either "page" or "start"/"end", not both');
    }
    const span = doc.pages.find((p) => p.page === options.page);
    if (!span) {
      const known = doc.pages.length > 0 ? `pages ${doc.pages[0]?.page}–${doc.pages.at(-1)?.page}` : 'no pages';
      throw new CairnError('VALIDATION', `Document ${doc.id} has ${known}; page ${options.page} does not exist`, {
        page: options.page,
      });
    }
    return { start: span.start, end: span.end, page: span.page };
  }
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? total, total);
  if (start > total)
    throw new CairnError('VALIDATION', `start ${start} is past the document's end (${total} characters)`, { start });
  if (end < start) throw new CairnError('VALIDATION', `end ${end} is before start ${start}`, { start, end });
  return { start, end, page: null };
}

/** A range of a document's text, paged at maxChars: a long read says where to continue, never cut silently. */
export function sliceDocument(doc: Document, options: RangeOptions): DocumentSlice {
  const range = requestedRange(doc, options);
  const limit = options.maxChars ?? DEFAULT_READ_CHARS;
  const end = Math.min(range.end, range.start + limit);
  return {
    documentId: doc.id,
    title: doc.title,
    source: doc.source,
    mime: doc.mime,
    totalChars: doc.text.length,
    pageCount: doc.pages.length,
    page: range.page,
    start: range.start,
    end,
    text: doc.text.slice(range.start, end),
    nextStart: end < range.end ? end : null,
    requestedEnd: range.end,
  };
}

/** The slice as text for a model: a header, the text, and how to read on when it was paged. */
export function sliceText(slice: DocumentSlice): string {
  const where = slice.page === null ? '' : `, page ${slice.page}`;
  const header = `${slice.title || slice.source} (${slice.documentId}${where}): characters ${slice.start}–${slice.end} of ${slice.totalChars}`;
  const more =
    slice.nextStart === null
      ? ''
      : `\n\n[${slice.requestedEnd - slice.nextStart} more characters in this range: read on with start=${slice.nextStart}${slice.requestedEnd < slice.totalChars ? `, end=${slice.requestedEnd}` : ''}]`;
  return `${header}\n\n${slice.text}${more}`;
}

/** Range options from a resource URI's query (?start=&end=&page=&maxChars=), validated as the tool's. */
export function rangeFromQuery(params: URLSearchParams): RangeOptions {
  const raw: Record<string, number> = {};
  for (const key of ['start', 'end', 'page', 'maxChars'] as const) {
    const value = params.get(key);
    if (value !== null) raw[key] = Number(value);
  }
  const parsed = z.strictObject(rangeFields).safeParse(raw);
  if (!parsed.success) {
    throw new CairnError(
      'VALIDATION',
      `Bad range in the resource URI: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
