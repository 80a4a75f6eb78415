import picomatch from 'picomatch';
import { CairnError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { MetadataCondition, RangeCondition, SearchFilter } from './types.ts';

/**
 * Filters are resolved once per search into the set of chunk rowids that may be returned; each
 * retriever then searches only inside that set (BM25 masks its postings, the ANN index gets it as
 * its filter), so a filtered search still returns k results when k chunks match.
 */
const FIELDS = ['documentIds', 'source', 'mime', 'language', 'tags', 'metadata', 'created', 'updated'] as const;
const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;
const SQL_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function invalid(message: string, field: string): CairnError {
  return new CairnError('VALIDATION', message, { field });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
    throw invalid(`filter.${field} must be a string or a non-empty list of strings`, field);
  }
  return list as string[];
}

function checkDateRange(value: unknown, field: string): { from?: string; to?: string } {
  if (!isObject(value)) throw invalid(`filter.${field} must be an object with "from" and/or "to" dates`, field);
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'from' && key !== 'to')
      throw invalid(`Unknown filter field "${field}.${key}"; use from or to`, `${field}.${key}`);
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw invalid(`filter.${field}.${key} must be a date`, field);
  }
  return value as { from?: string; to?: string };
}

function checkMetadataCondition(key: string, condition: unknown): void {
  const field = `metadata.${key}`;
  if (key === '' || key.includes('"')) throw invalid(`Metadata key "${key}" is not valid`, field);
  if (['string', 'number', 'boolean'].includes(typeof condition)) return;
  if (!isObject(condition) || Object.keys(condition).length === 0) {
    throw invalid(`filter.${field} must be a value, {in: [...]} or a range`, field);
  }
  for (const [op, v] of Object.entries(condition)) {
    if (op === 'in' && Array.isArray(v) && v.length > 0) continue;
    if ((RANGE_KEYS as readonly string[]).includes(op) && (typeof v === 'number' || typeof v === 'string')) continue;
    throw invalid(`Unknown or invalid condition "${op}" on filter.${field}; use in, gt, gte, lt or lte`, `${field}.${op}`);
  }
}

/** Checks a filter's shape; an unknown field is a VALIDATION error that names it. */
export function validateFilter(input: unknown): SearchFilter {
  if (input === undefined || input === null) return {};
  if (!isObject(input)) throw invalid('filter must be an object', 'filter');
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!(FIELDS as readonly string[]).includes(field)) {
      throw invalid(`Unknown filter field "${field}"; known fields: ${FIELDS.join(', ')}`, field);
    }
    if (field === 'source' && typeof value !== 'string') throw invalid('filter.source must be a glob string', field);
    if (field === 'documentIds' || field === 'mime' || field === 'language' || field === 'tags') stringList(value, field);
    if (field === 'created' || field === 'updated') checkDateRange(value, field);
    if (field === 'metadata') {
      if (!isObject(value)) throw invalid('filter.metadata must be an object of key → condition', field);
      for (const [key, condition] of Object.entries(value)) checkMetadataCondition(key, condition);
    }
  }
  return input as SearchFilter;
}

export function isEmptyFilter(filter: SearchFilter | undefined): boolean {
  return !filter || Object.values(filter).every((v) => v === undefined);
}

type Param = string | number;

function sqlValue(v: string | number | boolean): Param {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

function jsonPath(key: string): string {
  return `$${key
    .split('.')
    .map((part) => `."${part}"`)
    .join('')}`;
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

function metadataClause(key: string, condition: MetadataCondition, params: Param[]): string {
  params.push(jsonPath(key));
  const expr = 'json_extract(d.metadata, ?)';
  if (typeof condition !== 'object') {
    params.push(sqlValue(condition));
    return `${expr} = ?`;
  }
  if ('in' in condition && Array.isArray(condition.in)) {
    params.push(...condition.in.map(sqlValue));
    return `${expr} IN (${placeholders(condition.in.length)})`;
  }
  const parts: string[] = [];
  for (const op of RANGE_KEYS) {
    const bound = (condition as RangeCondition)[op];
    if (bound === undefined) continue;
    if (parts.length > 0) params.push(jsonPath(key));
    params.push(bound);
    parts.push(`${expr} ${SQL_OPS[op]} ?`);
  }
  return parts.join(' AND ');
}

/** A date-only upper bound means the whole day. */
function upperDate(to: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(to) ? `${to}T23:59:59.999Z` : new Date(to).toISOString();
}

function dateClauses(column: string, range: { from?: string; to?: string }, params: Param[]): string[] {
  const out: string[] = [];
  if (range.from) {
    params.push(new Date(range.from).toISOString());
    out.push(`${column} >= ?`);
  }
  if (range.to) {
    params.push(upperDate(range.to));
    out.push(`${column} <= ?`);
  }
  return out;
}

function whereClauses(filter: SearchFilter, params: Param[]): string[] {
  const where: string[] = [];
  const list = (column: string, values: string[]): void => {
    params.push(...values);
    where.push(`${column} IN (${placeholders(values.length)})`);
  };
  if (filter.documentIds) list('d.id', filter.documentIds);
  if (filter.mime) list('d.mime', stringList(filter.mime, 'mime'));
  if (filter.language) list('d.language', stringList(filter.language, 'language'));
  if (filter.tags) {
    params.push(...filter.tags);
    where.push(`EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE t.value IN (${placeholders(filter.tags.length)}))`);
  }
  for (const [key, condition] of Object.entries(filter.metadata ?? {})) where.push(metadataClause(key, condition, params));
  if (filter.created) where.push(...dateClauses('d.created_at', filter.created, params));
  if (filter.updated) where.push(...dateClauses('d.updated_at', filter.updated, params));
  return where;
}

/** The chunk rowids a filter allows in a collection, or null when there is no filter. */
export function resolveFilter(store: Store, collectionId: string, filter: SearchFilter | undefined): Set<number> | null {
  if (!filter || isEmptyFilter(filter)) return null;
  const params: Param[] = [collectionId];
  const where = ['c.collection_id = ?', ...whereClauses(filter, params)];
  const rows = store.db
    .prepare<Param[], { rowid: number; source: string }>(
      `SELECT c.rowid AS rowid, d.source AS source FROM chunks c JOIN documents d ON d.id = c.document_id WHERE ${where.join(' AND ')}`,
    )
    .all(...params);
  const matchSource = filter.source ? picomatch(filter.source, { dot: true, basename: !filter.source.includes('/') }) : null;
  const allowed = new Set<number>();
  for (const row of rows) if (!matchSource || matchSource(row.source)) allowed.add(row.rowid);
  return allowed;
}
