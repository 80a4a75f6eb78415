import picomatch from 'picomatch';
import { isEmptyFilter } from '../filter.ts';
import type { MetadataCondition, RangeCondition, SearchFilter } from '../types.ts';

/**
 * A search filter as one SQL condition on a chunk rowid, so PostgreSQL applies it inside the
 * search query (the ANN scan or the postings scan) instead of a rowid set resolved up front. The
 * semantics are those of retrieval/filter.ts on SQLite (metadata values compare as SQLite's
 * json_extract() values do); JSON columns are read through `::jsonb` and dates through `::timestamptz`, which holds whether the schema stores them as text or as
 * jsonb/timestamptz. The source glob becomes picomatch's own regular expression (PostgreSQL's
 * regular expressions accept its lookaheads and non-capturing groups), matched against the
 * basename when the glob has no slash, as picomatch does.
 */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(initial: unknown[] = []) {
    this.values.push(...initial);
  }
  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const RANGE_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function asList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}

/*
 * A metadata value compared as SQLite's json_extract() compares it, so both backends allow the
 * same chunks: numbers and booleans (as 1/0) are one class compared numerically, strings (and
 * arrays/objects as JSON text) another compared bytewise, numbers sort before text, and a missing
 * or null value matches nothing. CASE, not AND: PostgreSQL does not promise to test the type
 * before the cast.
 */
function classOf(v: string): string {
  return `(CASE jsonb_typeof(${v}) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 2 WHEN 'object' THEN 2 END)`;
}

function numberOf(v: string): string {
  return `(CASE jsonb_typeof(${v}) WHEN 'number' THEN (${v} #>> '{}')::numeric WHEN 'boolean' THEN (CASE WHEN ${v} = 'true'::jsonb THEN 1 ELSE 0 END) END)`;
}

function textOf(v: string): string {
  return `(CASE jsonb_typeof(${v}) WHEN 'string' THEN ${v} #>> '{}' ELSE ${v}::text END) COLLATE "C"`;
}

type Op = '=' | '>' | '>=' | '<' | '<=';

/** `value op bound` with SQLite's ordering across classes (numbers < text). */
function compare(v: string, op: Op, bound: string | number | boolean, p: SqlParams): string {
  if (typeof bound === 'string') {
    const numbersBelow = op === '<' || op === '<=';
    return `(CASE ${classOf(v)} WHEN 1 THEN ${numbersBelow} WHEN 2 THEN ${textOf(v)} ${op} ${p.add(bound)}::text END)`;
  }
  const textAbove = op === '>' || op === '>=';
  const n = typeof bound === 'boolean' ? (bound ? 1 : 0) : bound;
  return `(CASE ${classOf(v)} WHEN 1 THEN ${numberOf(v)} ${op} ${p.add(n)}::numeric WHEN 2 THEN ${textAbove} END)`;
}

function metadataClause(key: string, condition: MetadataCondition, p: SqlParams): string {
  const v = `(d.metadata::jsonb #> ${p.add(key.split('.'))}::text[])`;
  if (typeof condition !== 'object') return compare(v, '=', condition, p);
  if ('in' in condition && Array.isArray(condition.in)) {
    return `(${condition.in.map((value) => compare(v, '=', value, p)).join(' OR ')})`;
  }
  const parts: string[] = [];
  for (const op of Object.keys(RANGE_OPS) as (keyof typeof RANGE_OPS)[]) {
    const bound = (condition as RangeCondition)[op];
    if (bound !== undefined) parts.push(compare(v, RANGE_OPS[op], bound, p));
  }
  return parts.join(' AND ');
}

/** A date-only upper bound means the whole day (as on SQLite). */
function upperDate(to: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(to) ? `${to}T23:59:59.999Z` : new Date(to).toISOString();
}

function dateClauses(column: string, range: { from?: string; to?: string }, p: SqlParams): string[] {
  const out: string[] = [];
  if (range.from) out.push(`${column}::timestamptz >= ${p.add(new Date(range.from).toISOString())}::timestamptz`);
  if (range.to) out.push(`${column}::timestamptz <= ${p.add(upperDate(range.to))}::timestamptz`);
  return out;
}

function sourceClause(glob: string, p: SqlParams): string {
  const basename = !glob.includes('/');
  const re = picomatch.makeRe(glob, { dot: true, basename });
  const subject = basename ? `substring(d.source from '([^/]*)/?$')` : 'd.source';
  // picomatch also accepts a source equal to the glob itself, and never an empty one.
  return `(d.source = ${p.add(glob)} OR (d.source <> '' AND ${subject} ~ ${p.add(re.source)}))`;
}

function documentClauses(filter: SearchFilter, p: SqlParams): string[] {
  const where: string[] = [];
  if (filter.documentIds) where.push(`d.id = ANY(${p.add(filter.documentIds)}::text[])`);
  if (filter.mime) where.push(`d.mime = ANY(${p.add(asList(filter.mime))}::text[])`);
  if (filter.language) where.push(`d.language = ANY(${p.add(asList(filter.language))}::text[])`);
  if (filter.tags) where.push(`d.tags::jsonb ?| ${p.add(filter.tags)}::text[]`);
  for (const [key, condition] of Object.entries(filter.metadata ?? {})) where.push(metadataClause(key, condition, p));
  if (filter.created) where.push(...dateClauses('d.created_at', filter.created, p));
  if (filter.updated) where.push(...dateClauses('d.updated_at', filter.updated, p));
  if (filter.source) where.push(sourceClause(filter.source, p));
  return where;
}

/** A condition on documents (as `d`) true for those the filter allows; null without a filter. */
export function documentCondition(filter: SearchFilter | undefined, p: SqlParams): string | null {
  if (!filter || isEmptyFilter(filter)) return null;
  const where = documentClauses(filter, p);
  return where.length === 0 ? null : where.join(' AND ');
}

/** A condition true for the chunks (rowid given as an SQL expression) the filter allows; null without a filter. */
export function filterCondition(filter: SearchFilter | undefined, rowid: string, p: SqlParams): string | null {
  if (!filter || isEmptyFilter(filter)) return null;
  const where = documentClauses(filter, p);
  if (where.length === 0) return null;
  return `EXISTS (SELECT 1 FROM chunks fc JOIN documents d ON d.id = fc.document_id WHERE fc.rowid = ${rowid} AND ${where.join(' AND ')})`;
}
