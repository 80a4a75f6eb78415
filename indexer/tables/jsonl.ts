import type { CellValue, RawTable } from './types.ts';

function cellOf(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/**
 * JSON Lines of flat objects as one table: columns are the keys in the order first met; a line
 * that is not an object is skipped. Row numbers are the file's lines.
 */
export function jsonlTable(text: string, title: string): RawTable | null {
  const records: { record: Record<string, unknown>; row: number }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        records.push({ record: value as Record<string, unknown>, row: i + 1 });
      }
    } catch {
      // A broken line is the loader's failure to report; the table keeps the lines it can read.
    }
  });
  const keys: string[] = [];
  for (const { record } of records) for (const key of Object.keys(record)) if (!keys.includes(key)) keys.push(key);
  if (records.length === 0 || keys.length < 2) return null;
  return {
    origin: 'jsonl',
    title,
    header: keys,
    rows: records.map(({ record, row }) => ({ cells: keys.map((k) => cellOf(record[k])), row })),
  };
}
