import { CairnError } from '../../core/index.ts';
import type { Token } from './tokenize.ts';

export interface Declarations {
  /** Names the query defines for itself: CTEs, their columns, and aliases (with where they are declared). */
  ctes: Set<string>;
  cteColumns: Set<string>;
  aliases: Set<string>;
  aliasAt: Set<number>;
}

function refuse(message: string): never {
  throw new CairnError('SQL_REFUSED', message);
}

/** The index of the `)` that closes the `(` at `open`. */
export function matching(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]?.text === '(') depth++;
    else if (tokens[i]?.text === ')' && --depth === 0) return i;
  }
  return refuse('unbalanced parentheses in the SQL');
}

/** `AS [NOT] MATERIALIZED (` after a CTE name: the index of its `(`, or -1. */
function bodyStart(tokens: Token[], at: number): number {
  if (tokens[at]?.name !== 'as') return -1;
  let i = at + 1;
  if (tokens[i]?.name === 'not') i++;
  if (tokens[i]?.name === 'materialized') i++;
  return tokens[i]?.text === '(' ? i : -1;
}

/** A recursive CTE (one that reads itself) must stop itself: `LIMIT n` at its top level, n ≤ the limit. */
function checkRecursion(tokens: Token[], name: string, open: number, close: number, max: number): void {
  const body = tokens.slice(open + 1, close);
  if (!body.some((t) => t.name === name && (t.kind === 'ident' || t.kind === 'quoted'))) return;
  let depth = 0;
  for (const [i, t] of body.entries()) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.name === 'limit') {
      const n = body[i + 1];
      if (n?.kind === 'number' && Number(n.text) <= max) return;
      refuse(`the recursive CTE ${name} has LIMIT ${n?.text ?? '?'}; at most ${max} is allowed`);
    }
  }
  refuse(`the recursive CTE ${name} needs a LIMIT of at most ${max} rows`);
}

function cteAt(tokens: Token[], i: number, decl: Declarations, max: number): void {
  const t = tokens[i] as Token;
  let after = i + 1;
  if (tokens[after]?.text === '(') {
    const close = matching(tokens, after);
    for (const c of tokens.slice(after + 1, close)) if (c.kind === 'ident' || c.kind === 'quoted') decl.cteColumns.add(c.name);
    after = close + 1;
  }
  const open = bodyStart(tokens, after);
  if (open < 0) return;
  decl.ctes.add(t.name);
  checkRecursion(tokens, t.name, open, matching(tokens, open), max);
}

const OPERAND_ENDS = new Set(['quoted', 'number', 'string', 'blob']);

/** Whether the token before `i` ends an operand, so a bare name at `i` can only be an alias. */
function afterOperand(tokens: Token[], i: number, isName: (t: Token | undefined) => boolean): boolean {
  const prev = tokens[i - 1];
  if (!prev) return false;
  return prev.text === ')' || prev.text === '*' || prev.name === 'end' || OPERAND_ENDS.has(prev.kind) || isName(prev);
}

/** One pass over the statement for what it declares, before any name is checked. */
export function declarations(tokens: Token[], maxRecursion: number, isName: (t: Token | undefined) => boolean): Declarations {
  const decl: Declarations = { ctes: new Set(), cteColumns: new Set(), aliases: new Set(), aliasAt: new Set() };
  tokens.forEach((t, i) => {
    if (!isName(t)) return;
    const prev = tokens[i - 1];
    if (prev?.name === 'with' || prev?.name === 'recursive' || prev?.text === ',') cteAt(tokens, i, decl, maxRecursion);
    if (decl.ctes.has(t.name) && tokens[i + 1]?.text !== '.') return;
    const next = tokens[i + 1]?.text;
    if (next === '(' || next === '.') return;
    if (prev?.name === 'as' || (afterOperand(tokens, i, isName) && prev?.text !== '.')) {
      decl.aliases.add(t.name);
      decl.aliasAt.add(i);
    }
  });
  return decl;
}
