import { parseHTML } from 'linkedom';
import type { RawTable, TableOrigin } from './types.ts';

interface Cell {
  textContent: string | null;
  tagName: string;
  getAttribute(name: string): string | null;
}
interface Row {
  querySelectorAll(selector: string): ArrayLike<Cell>;
}
interface TableElement {
  querySelectorAll(selector: string): ArrayLike<Row & { closest(s: string): unknown }>;
  querySelector(selector: string): { textContent: string | null } | null;
}

function clean(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** Cells of a row, a `colspan` repeated so columns stay aligned. */
function cellsOf(row: Row): { cells: string[]; header: boolean } {
  const found = Array.from(row.querySelectorAll(':scope > td, :scope > th'));
  const cells: string[] = [];
  for (const cell of found) {
    const span = Math.min(Number(cell.getAttribute('colspan') ?? 1) || 1, 50);
    for (let i = 0; i < span; i++) cells.push(clean(cell.textContent));
  }
  return { cells, header: found.length > 0 && found.every((c) => c.tagName.toLowerCase() === 'th') };
}

/** A table's rows (its own, not a nested table's); the first row is the header. */
function tableOf(table: TableElement, origin: TableOrigin, title: string): RawTable | null {
  const rows = Array.from(table.querySelectorAll('tr'))
    .filter((tr) => tr.closest('table') === table)
    .map(cellsOf)
    .filter((r) => r.cells.some((c) => c !== ''));
  const [head, ...body] = rows;
  if (!head || body.length === 0 || head.cells.length < 2) return null;
  const caption = clean(table.querySelector('caption')?.textContent ?? null);
  return {
    origin,
    title: caption || title,
    header: head.cells,
    rows: body.map((r, i) => ({ cells: r.cells, row: i + 1 })),
  };
}

/** Every `<table>` of an HTML page (or of mammoth's HTML for a DOCX) with a header and a row. */
export function htmlTables(html: string, origin: TableOrigin, title: string): RawTable[] {
  const { document } = parseHTML(html.includes('<html') ? html : `<!doctype html><html><body>${html}</body></html>`);
  const tables = Array.from(document.querySelectorAll('table')) as unknown as TableElement[];
  return tables.map((t) => tableOf(t, origin, title)).filter((t): t is RawTable => t !== null);
}
