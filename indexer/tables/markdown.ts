import type { RawTable } from './types.ts';

const SEPARATOR = /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function cellsOf(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Lines inside fenced code blocks are code, not tables. */
function unfenced(lines: string[]): boolean[] {
  let fence: string | null = null;
  return lines.map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return false;
    }
    return fence === null;
  });
}

/** GitHub pipe tables: a header line, a `---|---` line, then rows until a line without `|`. */
export function markdownTables(text: string, title: string): RawTable[] {
  const lines = text.split(/\r?\n/);
  const open = unfenced(lines);
  const tables: RawTable[] = [];
  for (let i = 1; i < lines.length; i++) {
    const headLine = lines[i - 1] as string;
    if (!open[i] || !SEPARATOR.test(lines[i] as string) || !headLine.includes('|')) continue;
    const header = cellsOf(headLine);
    const rows: RawTable['rows'] = [];
    let j = i + 1;
    for (; j < lines.length && open[j] && (lines[j] as string).includes('|'); j++) {
      rows.push({ cells: cellsOf(lines[j] as string), row: j + 1 });
    }
    if (header.length >= 2 && rows.length > 0) tables.push({ origin: 'markdown', title, header, rows });
    i = j;
  }
  return tables;
}
