import { CairnError } from '../../core/index.ts';
import { declarations } from './guard-declarations.ts';
import { type Token, tokenize } from './tokenize.ts';
import { FORBIDDEN, FUNCTIONS, KEYWORDS } from './words.ts';

/** A table SQL may name: `name` in the query, `sqlName` the stored table behind it. */
export interface GuardTable {
  name: string;
  sqlName: string;
  columns: string[];
}

export interface GuardOptions {
  tables: GuardTable[];
  maxRecursion: number;
  maxChars?: number;
}

export interface GuardedQuery {
  /** What runs: the query with each table read through a counting subquery on its stored table. */
  sql: string;
  /** The tables the query reads, by name. */
  tables: string[];
}

/** The function each table read calls per row: it stops a query at its deadline or scan budget. */
export const TICK = '__cairn_tick';
const ROW = '_row';
const MAX_TABLE_REFS = 16;
const MAX_DEPTH = 40;

function refuse(message: string): never {
  throw new CairnError('SQL_REFUSED', message);
}

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'quoted' || (t.kind === 'ident' && !KEYWORDS.has(t.name)));
}

function statementOf(sql: string, maxChars: number): Token[] {
  if (sql.length > maxChars) refuse(`the SQL is longer than ${maxChars} characters`);
  const tokens = tokenize(sql).filter((t) => t.kind !== 'space');
  // The most specific reason first: a write or PRAGMA is named as such wherever it is.
  for (const [i, t] of tokens.entries()) {
    if (t.kind !== 'ident') continue;
    if (t.name === 'replace' && tokens[i + 1]?.text === '(') continue;
    const what = FORBIDDEN[t.name];
    if (what) refuse(`${what} is not allowed: the SQL may only read`);
  }
  while (tokens.at(-1)?.text === ';') tokens.pop();
  if (tokens.some((t) => t.text === ';')) refuse('only one statement may run: the SQL has more than one');
  const first = tokens[0]?.name;
  if (first !== 'select' && first !== 'with') refuse('only a SELECT (or WITH … SELECT) may run');
  return tokens;
}

function checkFunction(t: Token): void {
  if (t.name === 'load_extension') refuse('load_extension is not allowed');
  if (!FUNCTIONS.has(t.name)) refuse(`the function ${t.name}() is not allowed (allowed: ${[...FUNCTIONS].join(', ')})`);
}

const CLAUSE_ENDS = new Set(['where', 'group', 'order', 'having', 'limit', 'window', 'union', 'intersect', 'except', 'select']);

/**
 * Validates one SELECT against the collection's tables before anything runs: every name must be
 * one of its tables, their columns, a CTE or an alias; every function must be on the allow list;
 * nothing may write, attach, pragma, or recurse without a LIMIT. Returns the SQL that will run.
 */
export function guardSql(sql: string, options: GuardOptions): GuardedQuery {
  const tokens = statementOf(sql, options.maxChars ?? 20_000);
  const tables = new Map(options.tables.map((t) => [t.name.toLowerCase(), t]));
  const columns = new Set([ROW, ...options.tables.flatMap((t) => t.columns.map((c) => c.toLowerCase()))]);
  const decl = declarations(tokens, options.maxRecursion, isName);
  const known = (name: string) => columns.has(name) || decl.cteColumns.has(name) || decl.aliases.has(name);
  const used = new Set<string>();
  const out: string[] = [];
  const fromAt: boolean[] = [false];
  let refs = 0;
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const depth = fromAt.length - 1;
    if (t.text === '(') fromAt.push(false);
    if (t.text === ')') fromAt.length > 1 && fromAt.pop();
    if (fromAt.length > MAX_DEPTH) refuse(`the SQL nests deeper than ${MAX_DEPTH} parentheses`);
    if (t.kind === 'ident' && KEYWORDS.has(t.name)) {
      if (t.name === 'from' || t.name === 'join') fromAt[depth] = true;
      else if (CLAUSE_ENDS.has(t.name)) fromAt[depth] = false;
      out.push(t.text);
      return;
    }
    if (t.kind !== 'ident' && t.kind !== 'quoted') {
      out.push(t.text);
      return;
    }
    if (next?.text === '(' && t.kind === 'ident' && !decl.ctes.has(t.name)) checkFunction(t);
    else if (prev?.text === '.') {
      if (!known(t.name)) refuse(`no column named ${t.text} in this collection's tables`);
    } else if (prev?.name === 'from' || prev?.name === 'join' || (prev?.text === ',' && fromAt[depth])) {
      const table = tables.get(t.name);
      if (table && !decl.ctes.has(t.name)) {
        if (++refs > MAX_TABLE_REFS) refuse(`the SQL reads more than ${MAX_TABLE_REFS} tables`);
        used.add(table.name);
        const aliased = next?.name === 'as' || decl.aliasAt.has(i + 1);
        out.push(`(SELECT * FROM "${table.sqlName}" WHERE ${TICK}(${ROW}))${aliased ? '' : ` AS "${table.name}"`}`);
        return;
      }
      if (!decl.ctes.has(t.name))
        refuse(`no table named ${t.text} in this collection (tables: ${[...tables.keys()].join(', ') || 'none'})`);
    } else if (next?.text === '.') {
      if (!tables.has(t.name) && !decl.aliases.has(t.name) && !decl.ctes.has(t.name))
        refuse(`${t.text} is not a table or alias here`);
    } else if (!decl.aliasAt.has(i) && !decl.ctes.has(t.name) && !known(t.name)) {
      refuse(`no column named ${t.text} in this collection's tables`);
    }
    out.push(t.text);
  });
  return { sql: out.join(' '), tables: [...used] };
}
