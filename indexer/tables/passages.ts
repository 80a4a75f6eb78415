import type { CellValue, ExtractedTable } from './types.ts';

/** A row as a passage: each cell with its header, so the row reads on its own in search results. */
export function rowText(table: Pick<ExtractedTable, 'columns'>, values: CellValue[]): string {
  return table.columns
    .map((c, i) => ({ label: c.label, value: values[i] }))
    .filter((cell) => cell.value !== null && cell.value !== undefined && cell.value !== '')
    .map((cell) => `${cell.label}: ${cell.value}`)
    .join(' | ');
}

/** A row passage: its text, where it is in the document's text, and which table row it is. */
export interface RowPassage {
  /** Exactly the document's text between `start` and `end` (the invariant every chunk keeps). */
  text: string;
  /** The row with its headers, `label: value | …`: what lexical search indexes for it. */
  search: string;
  start: number;
  end: number;
  page: number | null;
  table: number;
  row: number;
}

/**
 * The text of a document that is only tables (CSV, TSV, XLSX, flat JSONL): a line per row, each
 * row as `label: value | …`, so a row passage is exactly a line of the document.
 */
export function tablesText(tables: ExtractedTable[]): { text: string; passages: RowPassage[] } {
  let text = '';
  const passages: RowPassage[] = [];
  tables.forEach((table, t) => {
    if (tables.length > 1 || table.sheet) text += `${text ? '\n' : ''}## ${table.sheet ?? table.title}\n`;
    for (const row of table.rows) {
      const line = rowText(table, row.values);
      if (line === '') continue;
      passages.push({
        text: line,
        search: line,
        start: text.length,
        end: text.length + line.length,
        page: table.page,
        table: t,
        row: row.row,
      });
      text += `${line}\n`;
    }
  });
  return { text, passages };
}

/** The span of a row inside a document's text: from its first filled cell to its last, found after `from`. */
function locate(text: string, values: string[], from: number): { start: number; end: number } | null {
  const first = values[0];
  if (first === undefined) return null;
  const start = text.indexOf(first, from);
  if (start < 0) return null;
  let end = start + first.length;
  for (const value of values.slice(1)) {
    const at = text.indexOf(value, end);
    if (at < 0 || at - end > 200) break;
    end = at + value.length;
  }
  return { start, end };
}

/**
 * Row passages for tables inside a prose document (Markdown, HTML, DOCX, PDF): each is the row's
 * words in the document's text, searched with its headers. A row whose words the text does not
 * have verbatim gets no passage (it is still in its SQL table).
 */
export function embeddedRowPassages(text: string, tables: ExtractedTable[]): RowPassage[] {
  const passages: RowPassage[] = [];
  let cursor = 0;
  tables.forEach((table, t) => {
    for (const row of table.rows) {
      const line = rowText(table, row.values);
      const values = row.values.filter((v) => v !== null && v !== '').map(String);
      const span = line === '' ? null : locate(text, values, cursor);
      if (!span) continue;
      cursor = span.end;
      passages.push({ text: text.slice(span.start, span.end), search: line, ...span, page: table.page, table: t, row: row.row });
    }
  });
  return passages;
}
