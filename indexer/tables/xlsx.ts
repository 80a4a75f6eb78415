import readXlsxFile from 'read-excel-file/node';
import { CairnError } from '../../core/index.ts';
import type { GuardedZip } from '../archive/index.ts';
import type { CellValue, RawTable } from './types.ts';

function cellOf(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

/** The first row with two or more filled cells is the header; rows above it (titles, notes) are skipped. */
function sheetTable(sheet: string, data: unknown[][], title: string): RawTable | null {
  const start = data.findIndex((row) => row.filter((c) => c !== null && c !== '').length >= 2);
  if (start < 0) return null;
  const header = (data[start] ?? []).map((c) => (c === null ? '' : String(cellOf(c))));
  const rows = data
    .slice(start + 1)
    .map((cells, i) => ({ cells: cells.map(cellOf), row: start + i + 2 }))
    .filter((r) => r.cells.some((c) => c !== null && c !== ''));
  if (rows.length === 0) return null;
  return { origin: 'xlsx', title: `${title} — ${sheet}`, sheet, header, rows };
}

/** Every sheet with a header and a row; `row` is the sheet's own row number (1 = the first row). */
export async function xlsxTables(zip: GuardedZip, title: string): Promise<RawTable[]> {
  let sheets: { sheet: string; data: unknown[][] }[];
  try {
    sheets = (await readXlsxFile(zip.bytes)) as unknown as { sheet: string; data: unknown[][] }[];
  } catch (error) {
    throw new CairnError('LOADER_FAILED', `not a readable .xlsx workbook: ${(error as Error).message}`);
  }
  return sheets.map((s) => sheetTable(s.sheet, s.data, title)).filter((t): t is RawTable => t !== null);
}
