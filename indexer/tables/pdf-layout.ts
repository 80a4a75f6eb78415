import { parseNumber } from './infer.ts';

/** A pdf.js text item placed on the page: top-left origin, y grows downwards (viewport space). */
export interface PlacedText {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A run of words on one line with no column-sized gap inside it. */
interface Segment {
  x0: number;
  x1: number;
  text: string;
}

export interface LayoutLine {
  y: number;
  height: number;
  segments: Segment[];
}

/** A table found from the positions of its words: rows of cells, the header when the first row reads as one. */
export interface LayoutTable {
  header: string[] | null;
  rows: string[][];
}

/** A gap this wide (in font heights) separates cells; word spaces are about a third of it. */
const CELL_GAP = 0.8;
/** Lines further apart than this (in font heights) are not rows of one table. */
const ROW_GAP = 2.6;
const MIN_ROWS = 3;
/** Prose cells are long; table cells are short unless a column is numbers. */
const MAX_MEDIAN_CELL = 24;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function segmentsOf(items: PlacedText[], height: number): Segment[] {
  const segments: Segment[] = [];
  for (const item of [...items].sort((a, b) => a.x - b.x)) {
    const last = segments.at(-1);
    const gap = last ? item.x - last.x1 : Number.POSITIVE_INFINITY;
    if (last && gap < CELL_GAP * height) {
      // pdf.js often drops the space between words it draws separately; a visible gap is a space.
      last.text += gap > 0.15 * height && !last.text.endsWith(' ') ? ` ${item.str}` : item.str;
      last.x1 = Math.max(last.x1, item.x + item.width);
    } else {
      segments.push({ x0: item.x, x1: item.x + item.width, text: item.str });
    }
  }
  return segments.map((s) => ({ ...s, text: s.text.replace(/\s+/g, ' ').trim() })).filter((s) => s.text !== '');
}

/** Text items grouped into lines (a superscript stays on its line) and each line into cell-like segments. */
export function layoutLines(items: PlacedText[]): LayoutLine[] {
  const visible = items.filter((i) => i.str.trim() !== '' && i.height > 0).sort((a, b) => a.y - b.y);
  const groups: PlacedText[][] = [];
  for (const item of visible) {
    const group = groups.at(-1);
    const first = group?.[0];
    if (group && first && Math.abs(item.y - first.y) <= 0.5 * Math.max(first.height, item.height)) group.push(item);
    else groups.push([item]);
  }
  return groups.map((group) => {
    const height = median(group.map((i) => i.height));
    return { y: median(group.map((i) => i.y)), height, segments: segmentsOf(group, height) };
  });
}

/** Columns as the x-intervals the lines' segments cover together: a column boundary is a gap no line crosses. */
function columnsOf(lines: LayoutLine[]): [number, number][] {
  const spans = lines.flatMap((l) => l.segments.map((s): [number, number] => [s.x0, s.x1])).sort((a, b) => a[0] - b[0]);
  const columns: [number, number][] = [];
  for (const [x0, x1] of spans) {
    const last = columns.at(-1);
    if (last && x0 <= last[1]) last[1] = Math.max(last[1], x1);
    else columns.push([x0, x1]);
  }
  return columns;
}

/** A line holding one segment inside a column after the first: the wrapped rest of the row above. */
function continues(run: LayoutLine[], line: LayoutLine): boolean {
  const [segment, ...more] = line.segments;
  if (!segment || more.length > 0) return false;
  return columnsOf(run).some(([x0, x1], i) => i > 0 && segment.x0 >= x0 && segment.x1 <= x1);
}

/** Runs of consecutive lines that keep at least `minColumns` shared columns (and the lines that wrap inside a cell). */
function candidateRuns(lines: LayoutLine[], minColumns: number): LayoutLine[][] {
  const runs: LayoutLine[][] = [];
  let run: LayoutLine[] = [];
  const close = () => {
    if (run.length >= MIN_ROWS) runs.push(run);
    run = [];
  };
  for (const line of lines) {
    const prev = run.at(-1);
    const near = prev !== undefined && line.y - prev.y <= ROW_GAP * Math.max(prev.height, line.height);
    const columns = near ? columnsOf([...run, line]).length : 0;
    const fits = line.segments.length >= 2 && columns >= Math.max(minColumns, columnsOf(run).length);
    if (near && (fits || continues(run, line))) {
      run.push(line);
      continue;
    }
    close();
    if (line.segments.length >= minColumns) run = [line];
  }
  close();
  return runs;
}

function cellsOf(line: LayoutLine, columns: [number, number][]): string[] {
  const cells = columns.map(() => '');
  for (const segment of line.segments) {
    const at = columns.findIndex(([x0, x1]) => segment.x0 >= x0 && segment.x1 <= x1);
    if (at >= 0) cells[at] = cells[at] ? `${cells[at]} ${segment.text}` : segment.text;
  }
  return cells;
}

function numericColumn(rows: string[][], column: number): boolean {
  const filled = rows.map((r) => r[column] ?? '').filter((c) => c !== '');
  return filled.length > 0 && filled.filter((c) => parseNumber(c) !== null).length / filled.length >= 0.6;
}

/** Short cells or a column of numbers: what two columns of prose never have. */
function looksTabular(rows: string[][]): boolean {
  const width = rows[0]?.length ?? 0;
  const numeric = Array.from({ length: width }, (_, c) => numericColumn(rows.slice(1), c));
  if (numeric.some(Boolean)) return true;
  return (
    median(
      rows
        .flat()
        .filter((c) => c !== '')
        .map((c) => c.length),
    ) <= MAX_MEDIAN_CELL
  );
}

/** The first row is a header when every cell is filled and none is a number. */
function splitHeader(rows: string[][]): LayoutTable {
  const [first, ...body] = rows;
  if (first?.every((c) => c !== '' && parseNumber(c) === null)) return { header: first, rows: body };
  return { header: null, rows };
}

/** Lines as rows; a line with only a wrapped cell joins the row above. */
function rowsOf(run: LayoutLine[], columns: [number, number][]): string[][] {
  const rows: string[][] = [];
  for (const line of run) {
    const cells = cellsOf(line, columns);
    const above = rows.at(-1);
    if (above && cells[0] === '' && line.segments.length === 1) {
      rows[rows.length - 1] = above.map((c, i) => [c, cells[i] ?? ''].filter((t) => t !== '').join(' '));
    } else rows.push(cells);
  }
  return rows;
}

function tablesIn(lines: LayoutLine[], minColumns: number): LayoutTable[] {
  const tables: LayoutTable[] = [];
  for (const run of candidateRuns(lines, minColumns)) {
    const columns = columnsOf(run);
    const rows = rowsOf(run, columns);
    if (rows.length < MIN_ROWS || !looksTabular(rows)) continue;
    tables.push(splitHeader(rows));
  }
  return tables;
}

/**
 * Tables on one page found from where its words are, for PDFs whose tables have no ruling lines
 * pdf-parse can follow. A page split by a gutter no line crosses (two text columns, tables side by
 * side, each band a good part of the page) is read a column at a time, where two aligned columns of short cells are a table; across a
 * whole page it takes three, so that the two halves of a line of two-column prose never are one.
 */
export function layoutTables(items: PlacedText[]): LayoutTable[] {
  const lines = layoutLines(items);
  const bands = columnsOf(lines);
  const span = (bands.at(-1)?.[1] ?? 0) - (bands[0]?.[0] ?? 0);
  // Text columns are each a good part of the page; a table's own gaps leave narrower bands.
  if (bands.filter(([x0, x1]) => x1 - x0 >= 0.35 * span).length < 2) return tablesIn(lines, 3);
  return bands.flatMap(([x0, x1]) => tablesIn(layoutLines(items.filter((i) => i.x >= x0 - 1 && i.x + i.width <= x1 + 1)), 2));
}
