import { chunkId, toSearchText } from '../../core/index.ts';
import type { NewChunk } from '../../store/index.ts';
import type { PreparedDocument } from '../prepare.ts';
import type { TabledDocument } from './load.ts';

export { cleanColumnNames, inferType, parseDate, parseNumber, typeTable } from './infer.ts';
export { type LoadedWithTables, loadWithTables, type TabledDocument, XLSX_MIME } from './load.ts';
export { rowText } from './passages.ts';
export type { CellValue, ColumnType, ExtractedTable, RawTable, TableColumn, TableOrigin } from './types.ts';

/** Row passages as chunks: metadata says which table and row, so a citation leads to the source row. */
function rowChunks(prepared: PreparedDocument, entry: TabledDocument, first: number, max: number): NewChunk[] {
  const { doc } = prepared;
  return entry.passages.slice(0, Math.max(0, max - first)).map((p, i) => {
    const table = entry.tables[p.table];
    return {
      id: chunkId(doc.id, doc.contentHash, first + i),
      ordinal: first + i,
      text: p.text,
      start: p.start,
      end: p.end,
      page: p.page,
      headings: table?.sheet ? [table.sheet] : [],
      tokenCount: Math.ceil(p.text.length / 4),
      searchText: toSearchText(p.search),
      metadata: { table: { index: p.table, row: p.row, ...(table?.sheet ? { sheet: table.sheet } : {}) } },
    };
  });
}

/**
 * The document with its tables to store and its rows as passages: a table-only document (CSV,
 * XLSX…) is chunked a row per passage; a prose document keeps its chunks and gains the rows.
 * Without an entry the document had no tables, and any it had before are dropped.
 */
export function attachTables(prepared: PreparedDocument, entry: TabledDocument | undefined, maxChunks: number): PreparedDocument {
  if (!entry) return { ...prepared, tables: [] };
  const kept = entry.onlyTables ? [] : prepared.chunks;
  const rows = rowChunks(prepared, entry, kept.length, maxChunks);
  return { ...prepared, chunks: rows.length > 0 ? [...kept, ...rows] : prepared.chunks, tables: entry.tables };
}
