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

/** A separate pass over the PDF for its ruled tables; a PDF whose tables cannot be read still loads as text. */
export async function pdfTables(data: Uint8Array, title: string, password?: string): Promise<RawTable[]> {
  const { PDFParse } = await import('pdf-parse');
  const parser = new PDFParse({ data: new Uint8Array(data), ...(password ? { password } : {}) });
  try {
    const result = await parser.getTable();
    return pdfTablesFromPages(result.pages, title);
  } catch {
    return [];
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
