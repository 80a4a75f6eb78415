/** Where a table came from: its file format, or the kind of document it was found in. */
export type TableOrigin = 'csv' | 'tsv' | 'xlsx' | 'jsonl' | 'markdown' | 'html' | 'docx' | 'pdf';

export type ColumnType = 'integer' | 'real' | 'date' | 'text';

export type CellValue = string | number | null;

/** A table as found: header labels and rows of raw cells, each row with its number in the source. */
export interface RawTable {
  origin: TableOrigin;
  /** The file name, a sheet name or a caption: what a person would call the table. */
  title: string;
  sheet?: string;
  page?: number;
  header: string[];
  rows: { cells: CellValue[]; row: number }[];
}

export interface TableColumn {
  /** The SQL name: lower-case ASCII, safe to write unquoted. */
  name: string;
  /** The header as written in the source. */
  label: string;
  type: ColumnType;
}

/** A table ready to store: typed columns and values converted to their column's type. */
export interface ExtractedTable {
  origin: TableOrigin;
  title: string;
  sheet: string | null;
  page: number | null;
  columns: TableColumn[];
  /** `row` is the row's number in its source: the line of a CSV or JSONL file, the row of a sheet, the nth row of a document table. */
  rows: { values: CellValue[]; row: number }[];
}
