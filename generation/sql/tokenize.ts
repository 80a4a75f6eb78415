import { CairnError } from '../../core/index.ts';

export type TokenKind = 'space' | 'string' | 'blob' | 'number' | 'ident' | 'quoted' | 'param' | 'op';

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** For identifiers: the name, unquoted and lower-cased (SQLite compares names without case). */
  name: string;
}

function refuse(message: string): never {
  throw new CairnError('SQL_REFUSED', message);
}

const OPERATORS = ['||', '<<', '>>', '<=', '>=', '==', '!=', '<>', '->>', '->'].sort((a, b) => b.length - a.length);
const SINGLE = '(),.;*/%+-<>=&|~';

function closing(sql: string, from: number, end: string, doubled: boolean): number {
  for (let i = from; i < sql.length; i++) {
    if (sql[i] !== end) continue;
    if (doubled && sql[i + 1] === end) {
      i++;
      continue;
    }
    return i + 1;
  }
  return refuse(`unterminated ${end === "'" ? 'string' : 'quoted name'} in the SQL`);
}

function comment(sql: string, at: number): number | null {
  if (sql.startsWith('--', at)) {
    const end = sql.indexOf('\n', at);
    return end < 0 ? sql.length : end + 1;
  }
  if (sql.startsWith('/*', at)) {
    const end = sql.indexOf('*/', at + 2);
    return end < 0 ? refuse('unterminated comment in the SQL') : end + 2;
  }
  return null;
}

function quotedEnd(sql: string, at: number, ch: string): number | null {
  if (ch === "'") return closing(sql, at + 1, "'", true);
  if (ch === '"' || ch === '`') return closing(sql, at + 1, ch, true);
  if (ch === '[') return closing(sql, at + 1, ']', false);
  return null;
}

function scan(sql: string, at: number): { kind: TokenKind; end: number } {
  const ch = sql[at] as string;
  const rest = sql.slice(at);
  if (/\s/.test(ch)) return { kind: 'space', end: at + (/^\s+/.exec(rest)?.[0].length ?? 1) };
  const skipped = comment(sql, at);
  if (skipped !== null) return { kind: 'space', end: skipped };
  if (/^[xX]'/.test(rest)) return { kind: 'blob', end: closing(sql, at + 2, "'", false) };
  const quoted = quotedEnd(sql, at, ch);
  if (quoted !== null) return { kind: ch === "'" ? 'string' : 'quoted', end: quoted };
  const number = /^(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(rest);
  if (number) return { kind: 'number', end: at + number[0].length };
  const ident = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(rest);
  if (ident) return { kind: 'ident', end: at + ident[0].length };
  if (/^[?:@$]/.test(ch))
    return refuse('SQL parameters (?, :name, @name, $name) are not accepted; write the values in the query');
  const op = OPERATORS.find((o) => rest.startsWith(o)) ?? (SINGLE.includes(ch) ? ch : null);
  if (op) return { kind: 'op', end: at + op.length };
  return refuse(`unexpected character ${JSON.stringify(ch)} in the SQL`);
}

function nameOf(kind: TokenKind, text: string): string {
  if (kind === 'ident') return text.toLowerCase();
  if (kind !== 'quoted') return '';
  const inner = text.slice(1, -1);
  const quote = text[0] ?? '"';
  return (quote === '[' ? inner : inner.replaceAll(quote + quote, quote)).toLowerCase();
}

/** SQLite's lexical grammar: strings, quoted names, numbers, names, operators; comments count as space. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  for (let at = 0; at < sql.length; ) {
    const { kind, end } = scan(sql, at);
    const text = sql.slice(at, end);
    tokens.push({ kind, text, name: nameOf(kind, text) });
    at = end;
  }
  return tokens;
}
