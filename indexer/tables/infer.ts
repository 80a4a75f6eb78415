import type { CellValue, ColumnType, ExtractedTable, RawTable, TableColumn } from './types.ts';

/** Words SQLite or the SQL guard would read as something other than a column name. */
const RESERVED = new Set(
  'abort action add all alter always analyze and as asc attach autoincrement before begin between by cascade case cast check collate column commit conflict constraint create cross current current_date current_time current_timestamp database default deferrable deferred delete desc detach distinct do drop each else end escape except exclude exclusive exists explain fail filter first following for foreign from full generated glob group groups having if ignore immediate in index indexed initially inner insert instead intersect into is isnull join key last left like limit match materialized natural no not nothing notnull null nulls of offset on or order others outer over partition plan pragma preceding primary query raise range recursive references regexp reindex release rename replace restrict returning right rollback row rowid rows savepoint select set table temp temporary then ties to transaction trigger unbounded union unique update using vacuum values view virtual when where window with without oid _rowid_'.split(
    ' ',
  ),
);

/** A header as an SQL name: ASCII words joined by `_`, never empty, reserved or repeated. */
export function cleanColumnNames(labels: string[]): string[] {
  const used = new Set<string>(['_row']);
  return labels.map((label, i) => {
    let name = label
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/#/g, ' number ')
      .replace(/%/g, ' percent ')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 48);
    if (name === '') name = `column_${i + 1}`;
    if (/^[0-9]/.test(name)) name = `c_${name}`;
    if (RESERVED.has(name)) name = `${name}_`;
    let unique = name;
    for (let n = 2; used.has(unique); n++) unique = `${name}_${n}`;
    used.add(unique);
    return unique;
  });
}

const INTEGER = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)$/;
const REAL = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const CURRENCY = /^([+-]?)[$€£¥]\s*|\s*[$€£¥]$|\s*(?:USD|EUR|GBP)$/g;
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$/;
const SLASH_DATE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;

/** The number a spreadsheet user means: thousands separators and currency signs dropped. */
export function parseNumber(text: string): number | null {
  const bare = text.trim().replace(CURRENCY, '$1');
  if (bare === '' || !REAL.test(bare) || !/\d/.test(bare)) return null;
  const value = Number(bare.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

function pad(n: string): string {
  return n.padStart(2, '0');
}

/** A calendar date as ISO `YYYY-MM-DD` (year first only: `03/04/2024` is ambiguous and stays text). */
export function parseDate(text: string): string | null {
  const match = ISO_DATE.exec(text.trim()) ?? SLASH_DATE.exec(text.trim());
  if (!match) return null;
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const iso = `${y}-${pad(m)}-${pad(d)}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? null : iso;
}

function kindOf(value: CellValue): ColumnType | null {
  if (value === null) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'real';
  const text = value.trim();
  if (text === '') return null;
  if (INTEGER.test(text.replace(CURRENCY, '$1')) && parseNumber(text) !== null) return 'integer';
  if (parseNumber(text) !== null) return 'real';
  if (parseDate(text) !== null) return 'date';
  return 'text';
}

/** The narrowest type every non-empty cell fits: integer ⊂ real; dates only when all are dates. */
export function inferType(values: CellValue[]): ColumnType {
  let type: ColumnType | null = null;
  for (const value of values) {
    const kind = kindOf(value);
    if (kind === null || kind === type) continue;
    if (type === null) type = kind;
    else if ((type === 'integer' && kind === 'real') || (type === 'real' && kind === 'integer')) type = 'real';
    else return 'text';
  }
  return type ?? 'text';
}

export function convert(value: CellValue, type: ColumnType): CellValue {
  if (value === null) return null;
  if (typeof value === 'number') return type === 'text' || type === 'date' ? String(value) : value;
  const text = value.trim();
  if (text === '') return null;
  if (type === 'integer' || type === 'real') return parseNumber(text);
  if (type === 'date') return parseDate(text);
  return text;
}

/** Columns named and typed, every row as wide as the header (short rows padded, long rows cut). */
export function typeTable(raw: RawTable): ExtractedTable {
  const width = raw.header.length;
  const rows = raw.rows.map((r) => ({ cells: Array.from({ length: width }, (_, i) => r.cells[i] ?? null), row: r.row }));
  const names = cleanColumnNames(raw.header.map((h) => h.trim()));
  const columns: TableColumn[] = names.map((name, i) => ({
    name,
    label: raw.header[i]?.trim() || name,
    type: inferType(rows.map((r) => r.cells[i] ?? null)),
  }));
  return {
    origin: raw.origin,
    title: raw.title,
    sheet: raw.sheet ?? null,
    page: raw.page ?? null,
    columns,
    rows: rows.map((r) => ({ values: r.cells.map((c, i) => convert(c, columns[i]?.type ?? 'text')), row: r.row })),
  };
}
