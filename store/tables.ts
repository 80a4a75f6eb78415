import { sha256 } from '../core/index.ts';
import type { Db } from './database.ts';
import { now, parseJson } from './rows.ts';

export type TableColumnType = 'integer' | 'real' | 'date' | 'text';

export interface DataTableColumn {
  name: string;
  label: string;
  type: TableColumnType;
}

/** A table to store: typed columns, values already converted, each row with its number in the source. */
export interface NewDataTable {
  origin: string;
  title: string;
  sheet: string | null;
  page: number | null;
  columns: DataTableColumn[];
  rows: { values: (string | number | null)[]; row: number }[];
}

/** A stored table: `name` is what SQL calls it, `sqlName` the physical table behind it. */
export interface DataTable {
  name: string;
  sqlName: string;
  collectionId: string;
  documentId: string;
  source: string;
  ordinal: number;
  title: string;
  origin: string;
  sheet: string | null;
  page: number | null;
  columns: DataTableColumn[];
  rowCount: number;
}

interface CatalogRow {
  sql_name: string;
  collection_id: string;
  document_id: string;
  source: string;
  ordinal: number;
  name: string;
  title: string;
  origin: string;
  sheet: string | null;
  page: number | null;
  columns: string;
  row_count: number;
}

const SQL_TYPE: Record<TableColumnType, string> = { integer: 'INTEGER', real: 'REAL', date: 'TEXT', text: 'TEXT' };
/** Names a table may not have: the guard would read them as SQL, not as the table. */
const SQL_WORDS =
  /^(select|from|where|group|order|by|having|limit|offset|with|as|on|using|join|union|all|and|or|not|in|is|null|case|when|then|else|end|values|table|index|count|sum|avg|min|max|total|main|temp)$/;
const PHYSICAL = /^t_[0-9a-f]{8}_[0-9]+$/;
const SELECT_CATALOG = 'SELECT t.*, d.source FROM data_tables t JOIN documents d ON d.id = t.document_id';

function toTable(row: CatalogRow): DataTable {
  return {
    name: row.name,
    sqlName: row.sql_name,
    collectionId: row.collection_id,
    documentId: row.document_id,
    source: row.source,
    ordinal: row.ordinal,
    title: row.title,
    origin: row.origin,
    sheet: row.sheet,
    page: row.page,
    columns: parseJson<DataTableColumn[]>(row.columns, []),
    rowCount: row.row_count,
  };
}

/** A title as an SQL name: `sales.xlsx — Q1` → `sales_q1`. */
export function tableBaseName(title: string): string {
  const base = title
    .replace(/\.(csv|tsv|xlsx|jsonl|ndjson|md|markdown|html?|docx|pdf)\b/gi, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return /^[a-z]/.test(base) ? base : `table_${base}`.replace(/_+$/, '');
}

export function createTablesRepo(db: Db) {
  const byCollection = db.prepare<[string], CatalogRow>(`${SELECT_CATALOG} WHERE t.collection_id = ? ORDER BY t.name`);
  const byDocument = db.prepare<[string], { sql_name: string }>('SELECT sql_name FROM data_tables WHERE document_id = ?');
  const names = db.prepare<[string], { name: string; sql_name: string }>(
    'SELECT name, sql_name FROM data_tables WHERE collection_id = ?',
  );
  const insertCatalog = db.prepare(
    `INSERT INTO data_tables (sql_name, collection_id, document_id, ordinal, name, title, origin, sheet, page, columns, row_count, created_at)
     VALUES (@sql_name, @collection_id, @document_id, @ordinal, @name, @title, @origin, @sheet, @page, @columns, @row_count, @created_at)`,
  );
  const deleteCatalog = db.prepare('DELETE FROM data_tables WHERE document_id = ?');

  /** Physical tables whose catalog row went with their document (deleted by cascade). */
  function sweep(): number {
    const physical = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'")
      .all()
      .map((r) => r.name)
      .filter((n) => PHYSICAL.test(n));
    const known = new Set(
      db
        .prepare<[], { sql_name: string }>('SELECT sql_name FROM data_tables')
        .all()
        .map((r) => r.sql_name),
    );
    const orphans = physical.filter((n) => !known.has(n));
    for (const name of orphans) db.exec(`DROP TABLE IF EXISTS "${name}"`);
    return orphans.length;
  }

  function nextNames(collectionId: string, tables: NewDataTable[]): { name: string; sqlName: string }[] {
    const existing = names.all(collectionId);
    const taken = new Set(existing.map((r) => r.name));
    const prefix = `t_${sha256(collectionId).slice(0, 8)}_`;
    let n = Math.max(0, ...existing.map((r) => Number(r.sql_name.slice(prefix.length)) || 0));
    const columns = new Set(tables.flatMap((t) => t.columns.map((c) => c.name)));
    return tables.map((table) => {
      let base = tableBaseName(table.sheet && !table.title.includes(table.sheet) ? `${table.title} ${table.sheet}` : table.title);
      if (columns.has(base) || SQL_WORDS.test(base)) base = `${base}_table`;
      let name = base;
      for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
      taken.add(name);
      n += 1;
      return { name, sqlName: `${prefix}${n}` };
    });
  }

  function create(sqlName: string, table: NewDataTable): void {
    const columns = table.columns.map((c) => `"${c.name}" ${SQL_TYPE[c.type]}`).join(', ');
    db.exec(`CREATE TABLE "${sqlName}" ("_row" INTEGER NOT NULL, ${columns})`);
    const insert = db.prepare(`INSERT INTO "${sqlName}" VALUES (${['?', ...table.columns.map(() => '?')].join(', ')})`);
    for (const row of table.rows) insert.run(row.row, ...table.columns.map((_, i) => row.values[i] ?? null));
  }

  /** A document's tables, replaced in one transaction with its new ones (none: its tables are dropped). */
  const replace = db.transaction((collectionId: string, documentId: string, tables: NewDataTable[]): void => {
    for (const { sql_name } of byDocument.all(documentId)) db.exec(`DROP TABLE IF EXISTS "${sql_name}"`);
    deleteCatalog.run(documentId);
    sweep();
    const named = nextNames(collectionId, tables);
    tables.forEach((table, ordinal) => {
      const { name, sqlName } = named[ordinal] as { name: string; sqlName: string };
      create(sqlName, table);
      insertCatalog.run({
        sql_name: sqlName,
        collection_id: collectionId,
        document_id: documentId,
        ordinal,
        name,
        title: table.title,
        origin: table.origin,
        sheet: table.sheet,
        page: table.page,
        columns: JSON.stringify(table.columns),
        row_count: table.rows.length,
        created_at: now(),
      });
    });
  });

  return {
    replace,
    sweep,
    list: (collectionId: string): DataTable[] => byCollection.all(collectionId).map(toTable),
    forDocument: (documentId: string): DataTable[] =>
      db
        .prepare<[string], CatalogRow>(`${SELECT_CATALOG} WHERE t.document_id = ? ORDER BY t.ordinal`)
        .all(documentId)
        .map(toTable),
    count: (collectionId: string): number =>
      db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM data_tables WHERE collection_id = ?').get(collectionId)?.n ??
      0,
  };
}

export type TablesRepo = ReturnType<typeof createTablesRepo>;
