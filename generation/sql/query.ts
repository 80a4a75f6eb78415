import type { JsonSchema } from '../../models/types.ts';
import type { DataTable } from '../../store/index.ts';

const AGGREGATES = ['none', 'count', 'sum', 'avg', 'min', 'max'] as const;
const OPS = ['=', '!=', '<', '<=', '>', '>=', 'contains'] as const;
export const MAX_QUERY_ROWS = 100;

type Aggregate = (typeof AGGREGATES)[number];

/** A query as the generator writes it: JSON whose every name comes from the collection's tables. */
export interface TableQuery {
  table: string;
  select: { column: string; aggregate: Aggregate }[];
  where: { column: string; op: (typeof OPS)[number]; value: string }[];
  groupBy: string[];
  orderBy: { column: string; aggregate: Aggregate; direction: 'asc' | 'desc' }[];
  limit: number;
}

/**
 * The grammar the generator writes SQL in: a JSON schema whose enums are the collection's actual
 * tables and columns (llama.cpp turns it into a grammar; OpenAI-compatible servers get it as
 * `response_format`), so no other table, function or statement can be written at all.
 */
export function querySchema(tables: DataTable[]): JsonSchema {
  const columns = [...new Set(tables.flatMap((t) => t.columns.map((c) => c.name)))];
  const column = { enum: columns };
  const item = (extra: Record<string, unknown>, required: string[]) => ({
    type: 'object',
    properties: { column: { enum: ['*', ...columns] }, aggregate: { enum: [...AGGREGATES] }, ...extra },
    required: ['column', 'aggregate', ...required],
    additionalProperties: false,
  });
  return {
    type: 'object',
    properties: {
      table: { enum: tables.map((t) => t.name) },
      select: { type: 'array', minItems: 1, maxItems: 8, items: item({}, []) },
      where: {
        type: 'array',
        maxItems: 6,
        items: {
          type: 'object',
          properties: { column, op: { enum: [...OPS] }, value: { type: 'string', maxLength: 200 } },
          required: ['column', 'op', 'value'],
          additionalProperties: false,
        },
      },
      groupBy: { type: 'array', maxItems: 3, items: column },
      orderBy: { type: 'array', maxItems: 2, items: item({ direction: { enum: ['asc', 'desc'] } }, ['direction']) },
      limit: { type: 'integer', minimum: 1, maximum: MAX_QUERY_ROWS },
    },
    required: ['table', 'select', 'where', 'groupBy', 'orderBy', 'limit'],
    additionalProperties: false,
  };
}

/** Thrown for a query that names a column its table lacks: shown to the generator on its retry. */
export class QueryError extends Error {}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function expression(columns: Map<string, string>, column: string, aggregate: Aggregate): string {
  if (column === '*') {
    if (aggregate !== 'count' && aggregate !== 'none') throw new QueryError(`${aggregate}(*) is not a query; use count`);
    return aggregate === 'count' ? 'count(*)' : '*';
  }
  if (!columns.has(column))
    throw new QueryError(`column ${column} is not in this table (its columns: ${[...columns.keys()].join(', ')})`);
  return aggregate === 'none' ? column : `${aggregate}(${column})`;
}

function condition(columns: Map<string, string>, w: TableQuery['where'][number]): string {
  const type = columns.get(w.column);
  if (!type) throw new QueryError(`column ${w.column} is not in this table (its columns: ${[...columns.keys()].join(', ')})`);
  const numeric = (type === 'integer' || type === 'real') && w.value.trim() !== '' && Number.isFinite(Number(w.value));
  if (w.op === 'contains') return `${w.column} LIKE ${quote(`%${w.value}%`)}`;
  // Spreadsheet text is matched as people type it: "bananas" finds "Bananas".
  if (!numeric && type === 'text' && (w.op === '=' || w.op === '!='))
    return `lower(${w.column}) ${w.op} lower(${quote(w.value)})`;
  return `${w.column} ${w.op} ${numeric ? Number(w.value) : quote(w.value)}`;
}

/** The generator's query as SQL (then guarded like any other); rows keep `_row` when not aggregated. */
export function compileQuery(query: TableQuery, tables: DataTable[]): string {
  const table = tables.find((t) => t.name === query.table);
  if (!table) throw new QueryError(`no table named ${query.table}`);
  const columns = new Map(table.columns.map((c) => [c.name, c.type]));
  const select = query.select.map((s) => expression(columns, s.column, s.aggregate));
  const aggregated = query.select.some((s) => s.aggregate !== 'none') || query.groupBy.length > 0;
  const parts = [`SELECT ${aggregated || select.includes('*') ? '' : '_row, '}${select.join(', ')} FROM ${table.name}`];
  if (query.where.length > 0) parts.push(`WHERE ${query.where.map((w) => condition(columns, w)).join(' AND ')}`);
  for (const g of query.groupBy) expression(columns, g, 'none');
  if (query.groupBy.length > 0) parts.push(`GROUP BY ${query.groupBy.join(', ')}`);
  const order = query.orderBy.map((o) => `${expression(columns, o.column, o.aggregate)} ${o.direction.toUpperCase()}`);
  if (order.length > 0) parts.push(`ORDER BY ${order.join(', ')}`);
  parts.push(`LIMIT ${Math.min(Math.max(1, Math.floor(query.limit)), MAX_QUERY_ROWS)}`);
  return parts.join(' ');
}

/** The generator's JSON, if it has the query's shape (an OpenAI-compatible server may ignore the schema). */
export function asQuery(value: unknown): TableQuery | null {
  const q = value as Partial<TableQuery> | null;
  if (!q || typeof q.table !== 'string' || !Array.isArray(q.select) || q.select.length === 0) return null;
  return {
    table: q.table,
    select: q.select,
    where: Array.isArray(q.where) ? q.where : [],
    groupBy: Array.isArray(q.groupBy) ? q.groupBy : [],
    orderBy: Array.isArray(q.orderBy) ? q.orderBy : [],
    limit: typeof q.limit === 'number' ? q.limit : 20,
  };
}
