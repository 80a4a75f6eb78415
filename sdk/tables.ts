import type { RequestOptions } from './http.ts';
import type { Transport } from './resources.ts';

/** A table found in a collection's documents, by the name SQL calls it. */
export interface TableInfo {
  name: string;
  title: string;
  source: string;
  origin: string;
  sheet: string | null;
  page: number | null;
  rows: number;
  columns: { name: string; label: string; type: 'integer' | 'real' | 'date' | 'text' }[];
}

/** What one read-only SELECT returned. */
export interface SqlResult {
  sql: string;
  columns: string[];
  rows: (string | number | null)[][];
  /** More rows than the server's row limit: the rest were not read. */
  truncated: boolean;
  scanned: number;
  ms: number;
  tables: { name: string; source: string; sheet: string | null; page: number | null }[];
}

const enc = encodeURIComponent;

/** Tables in a collection's documents, and read-only SQL over them. */
export class Tables {
  constructor(private readonly http: Transport) {}

  async list(collection: string, options?: RequestOptions): Promise<TableInfo[]> {
    const path = `/v1/collections/${enc(collection)}/tables`;
    return (await this.http.json<{ tables: TableInfo[] }>({ method: 'GET', path, options })).tables;
  }

  /** One SELECT over the collection's tables; refused (400) before it runs if it is anything else. */
  sql(collection: string, sql: string, options?: RequestOptions): Promise<SqlResult> {
    return this.http.json({ method: 'POST', path: `/v1/collections/${enc(collection)}/sql`, body: { sql }, options });
  }
}
