import { type LayoutTable, layoutTables, type PlacedText } from './pdf-layout.ts';
import type { RawTable } from './types.ts';

/** pdf-parse's `getTable()` result: per page, tables as rows of cell strings. */
export interface PdfPageTables {
  num: number;
  tables: string[][][];
}

/** Tables pdf-parse found from ruling lines; empty or header-only ones (a box drawn around text) are not tables. */
export function pdfTablesFromPages(pages: PdfPageTables[], title: string): RawTable[] {
  const tables: RawTable[] = [];
  for (const page of pages) {
    for (const table of page.tables) {
      const rows = table.map((r) => r.map((c) => c.replace(/\s+/g, ' ').trim())).filter((r) => r.some((c) => c !== ''));
      const [header, ...body] = rows;
      if (!header || header.length < 2 || body.length === 0) continue;
      tables.push({
        origin: 'pdf',
        title: `${title} — page ${page.num}`,
        page: page.num,
        header,
        rows: body.map((cells, i) => ({ cells, row: i + 1 })),
      });
    }
  }
  return tables;
}

/** Tables found from word positions, with generic labels where the first row is not a header. */
export function pdfLayoutTablesFromPages(pages: { num: number; tables: LayoutTable[] }[], title: string): RawTable[] {
  return pages.flatMap((page) =>
    page.tables.map(
      (table): RawTable => ({
        origin: 'pdf',
        title: `${title} — page ${page.num}`,
        page: page.num,
        header: table.header ?? (table.rows[0] ?? []).map((_, i) => `Column ${i + 1}`),
        rows: table.rows.map((cells, i) => ({ cells, row: i + 1 })),
      }),
    ),
  );
}

/** The parts of pdf.js that the layout pass reads; pdf-parse keeps its loaded document behind a private `load()`. */
interface PdfTextItem {
  str?: string;
  transform?: number[];
  width?: number;
  height?: number;
}
interface PdfPage {
  getViewport(o: { scale: number }): { convertToViewportPoint(x: number, y: number): number[] };
  getTextContent(): Promise<{ items: PdfTextItem[] }>;
}
interface PdfDocument {
  numPages: number;
  getPage(n: number): Promise<PdfPage>;
}

async function placedText(page: PdfPage): Promise<PlacedText[]> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  return content.items.flatMap((item) => {
    if (typeof item.str !== 'string' || !item.transform) return [];
    const [x = 0, y = 0] = viewport.convertToViewportPoint(item.transform[4] ?? 0, item.transform[5] ?? 0);
    return [{ str: item.str, x, y, width: item.width ?? 0, height: item.height ?? 0 }];
  });
}

async function layoutPass(parser: unknown, title: string, maxPages: number): Promise<RawTable[]> {
  const doc = await (parser as { load(): Promise<PdfDocument> }).load();
  const pages: { num: number; tables: LayoutTable[] }[] = [];
  for (let num = 1; num <= Math.min(doc.numPages, maxPages); num++) {
    pages.push({ num, tables: layoutTables(await placedText(await doc.getPage(num))) });
  }
  return pdfLayoutTablesFromPages(pages, title);
}

/**
 * A separate pass over the PDF for its tables: ruled ones from pdf-parse, else ones found from
 * word positions. A PDF whose tables cannot be read still loads as text.
 */
export async function pdfTables(data: Uint8Array, title: string, password?: string, maxPages = 500): Promise<RawTable[]> {
  const { PDFParse } = await import('pdf-parse');
  const parser = new PDFParse({ data: new Uint8Array(data), verbosity: 0, ...(password ? { password } : {}) });
  try {
    const ruled = pdfTablesFromPages((await parser.getTable()).pages, title);
    return ruled.length > 0 ? ruled : await layoutPass(parser, title, maxPages);
  } catch {
    return [];
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
