import { CairnError, type Config } from '../../core/index.ts';
import type { DataTable, Store } from '../../store/index.ts';
import { executeSelect, type SqlRows } from './executor.ts';
import { type GuardTable, guardSql } from './guard.ts';

export interface SqlDeps {
  store: Store;
  config: Config;
}

export interface SqlResult extends SqlRows {
  /** The query as asked. */
  sql: string;
  /** The tables it read, with where they came from. */
  tables: { name: string; source: string; sheet: string | null; page: number | null }[];
}

export function guardTables(tables: DataTable[]): GuardTable[] {
  return tables.map((t) => ({ name: t.name, sqlName: t.sqlName, columns: t.columns.map((c) => c.name) }));
}

/** The file a read-only connection opens: an in-memory database has none to share. */
function databaseFile(store: Store): string {
  if (store.file === ':memory:' || store.file === '') {
    throw new CairnError('NOT_IMPLEMENTED', 'SQL over tables needs a database file (this store is in memory)');
  }
  return store.file;
}

/** One read-only SELECT over a collection's tables: guarded, then run with the time and row limits. */
export async function runSql(deps: SqlDeps, collectionName: string, sql: string, signal?: AbortSignal): Promise<SqlResult> {
  if (typeof sql !== 'string' || sql.trim() === '') throw new CairnError('VALIDATION', 'The SQL is empty', { field: 'sql' });
  const collection = deps.store.collections.require(collectionName);
  const tables = deps.store.tables.list(collection.id);
  const guarded = guardSql(sql, { tables: guardTables(tables), maxRecursion: deps.config.tables.maxRecursion });
  const rows = await executeSelect(guarded.sql, {
    file: databaseFile(deps.store),
    limits: deps.config.tables,
    ...(signal ? { signal } : {}),
  });
  const read = tables.filter((t) => guarded.tables.includes(t.name));
  return {
    ...rows,
    sql: sql.trim(),
    tables: read.map((t) => ({ name: t.name, source: t.source, sheet: t.sheet, page: t.page })),
  };
}

/** A table as listed to users: what SQL calls it and its columns, and where it came from. */
export interface TableListing {
  name: string;
  title: string;
  source: string;
  origin: string;
  sheet: string | null;
  page: number | null;
  rows: number;
  columns: { name: string; label: string; type: string }[];
}

export function listTables(store: Store, collectionName: string): TableListing[] {
  const collection = store.collections.require(collectionName);
  return store.tables.list(collection.id).map((t) => ({
    name: t.name,
    title: t.title,
    source: t.source,
    origin: t.origin,
    sheet: t.sheet,
    page: t.page,
    rows: t.rowCount,
    columns: t.columns,
  }));
}
