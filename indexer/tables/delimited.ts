import type { RawTable } from './types.ts';

/** RFC 4180 fields: quoted fields may hold the delimiter, doubled quotes and line breaks. */
export function parseDelimited(text: string, delimiter: string): { cells: string[]; line: number }[] {
  const records: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const endRecord = () => {
    cells.push(field);
    if (cells.length > 1 || cells[0] !== '') records.push({ cells, line: recordLine });
    cells = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += ch;
  }
  if (field !== '' || cells.length > 0) endRecord();
  return records;
}

/** Tab when the first line has more tabs than commas and semicolons, else the most frequent of those. */
export function guessDelimiter(text: string, name: string): string {
  if (/\.tsv$/i.test(name)) return '\t';
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  const count = (c: string) => first.split(c).length - 1;
  const candidates = ['\t', ',', ';'].map((c) => ({ c, n: count(c) }));
  candidates.sort((a, b) => b.n - a.n);
  return candidates[0] && candidates[0].n > 0 ? candidates[0].c : ',';
}

/** A CSV or TSV file as one table, its first record the header; row numbers are the file's lines. */
export function delimitedTable(text: string, name: string): RawTable | null {
  const delimiter = guessDelimiter(text, name);
  const records = parseDelimited(text.replace(/^\uFEFF/, ''), delimiter);
  const [head, ...body] = records;
  if (!head || body.length === 0 || head.cells.length < 2) return null;
  return {
    origin: delimiter === '\t' ? 'tsv' : 'csv',
    title: name,
    header: head.cells,
    rows: body.map((r) => ({ cells: r.cells, row: r.line })),
  };
}
