import type { JsonSchema } from './types.ts';

/**
 * Compact GBNF for the small JSON schemas graders use: no whitespace anywhere, properties in
 * schema order, so a model writes `{"a":[true,false]}` and nothing else. node-llama-cpp's own
 * schema grammar allows pretty-printing and ends with four forced newlines; on a byte-level
 * vocabulary that is dozens of decode steps per verdict. Schemas outside the subset below give
 * null, and the caller falls back to node-llama-cpp's grammar.
 *
 * Subset: boolean, null, enum / const of JSON scalars, integer (bounded or not), number, string
 * (no pattern or format), array of one item schema (minItems / maxItems), object whose properties
 * are all required with additionalProperties false.
 */
export interface CompactGrammar {
  gbnf: string;
  /** Longest output in UTF-8 bytes (so also in tokens), or null when a string or unbounded number makes it open-ended. */
  maxBytes: number | null;
}

interface Rule {
  /** A GBNF expression. */
  expr: string;
  maxBytes: number | null;
}

const literal = (text: string) => JSON.stringify(text);

const STRING_RULES = [
  'str ::= "\\"" ( [^"\\\\\\x00-\\x1F] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] ) )* "\\""',
];
const INT_RULE = 'int ::= "-"? ( [0-9] | [1-9] [0-9]* )';
const NUM_RULE = 'num ::= "-"? ( [0-9] | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?';

export function compactGbnfForSchema(schema: JsonSchema): CompactGrammar | null {
  const helpers = new Set<string>();
  const root = ruleFor(schema, helpers);
  if (!root) return null;
  return { gbnf: [`root ::= ${root.expr}`, ...helpers].join('\n'), maxBytes: root.maxBytes };
}

function ruleFor(schema: unknown, helpers: Set<string>): Rule | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return choice([s.const]);
  if (Array.isArray(s.enum)) return choice(s.enum);
  switch (s.type) {
    case 'boolean':
      return choice([true, false]);
    case 'null':
      return choice([null]);
    case 'integer':
      return integerRule(s, helpers);
    case 'number':
      helpers.add(NUM_RULE);
      return { expr: 'num', maxBytes: null };
    case 'string':
      if ('pattern' in s || 'format' in s) return null;
      for (const r of STRING_RULES) helpers.add(r);
      return { expr: 'str', maxBytes: null };
    case 'array':
      return arrayRule(s, helpers);
    case 'object':
      return objectRule(s, helpers);
    default:
      return null;
  }
}

/** Alternatives of JSON scalars, each written exactly as JSON.stringify writes it. */
function choice(values: unknown[]): Rule | null {
  if (values.length === 0) return null;
  const texts: string[] = [];
  for (const v of values) {
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) return null;
    texts.push(JSON.stringify(v));
  }
  return { expr: `( ${texts.map(literal).join(' | ')} )`, maxBytes: Math.max(...texts.map((t) => Buffer.byteLength(t))) };
}

/** Small bounded ranges become an enum, so the grammar cannot write 07 or 1.0. */
function integerRule(s: Record<string, unknown>, helpers: Set<string>): Rule | null {
  const { minimum: lo, maximum: hi } = s;
  if (typeof lo === 'number' && typeof hi === 'number' && Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= 64) {
    return choice(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
  }
  if (lo !== undefined || hi !== undefined) return null;
  helpers.add(INT_RULE);
  return { expr: 'int', maxBytes: null };
}

function arrayRule(s: Record<string, unknown>, helpers: Set<string>): Rule | null {
  const item = ruleFor(s.items, helpers);
  if (!item) return null;
  const min = typeof s.minItems === 'number' ? s.minItems : 0;
  const max = typeof s.maxItems === 'number' ? s.maxItems : null;
  if (max !== null && (max < min || max > 256)) return null;
  if (max === 0) return { expr: '"[" "]"', maxBytes: 2 };
  const next = `"," ${item.expr}`;
  const tail = Array.from({ length: Math.max(0, min - 1) }, () => next);
  if (max === null) tail.push(`( ${next} )*`);
  else {
    // Optional items nest, so each one can only follow the one before it.
    let optional = '';
    for (let i = max - Math.max(min, 1); i > 0; i--) optional = `( ${[next, optional].filter(Boolean).join(' ')} )?`;
    if (optional) tail.push(optional);
  }
  const first = [item.expr, ...tail].join(' ');
  const items = min === 0 ? `( ${first} )?` : first;
  const maxBytes = max === null || item.maxBytes === null ? null : 2 + max * item.maxBytes + Math.max(0, max - 1);
  return { expr: `"[" ${items} "]"`, maxBytes };
}

function objectRule(s: Record<string, unknown>, helpers: Set<string>): Rule | null {
  const properties = s.properties;
  if (typeof properties !== 'object' || properties === null || s.additionalProperties !== false) return null;
  const keys = Object.keys(properties);
  const required = Array.isArray(s.required) ? s.required : [];
  if (keys.length === 0 || keys.some((k) => !required.includes(k))) return null;
  const parts: string[] = [];
  let maxBytes: number | null = 2 + (keys.length - 1);
  for (const key of keys) {
    const value = ruleFor((properties as Record<string, unknown>)[key], helpers);
    if (!value) return null;
    const head = `${JSON.stringify(key)}:`;
    parts.push(`${literal(head)} ${value.expr}`);
    maxBytes = maxBytes === null || value.maxBytes === null ? null : maxBytes + Buffer.byteLength(head) + value.maxBytes;
  }
  return { expr: `"{" ${parts.join(' "," ')} "}"`, maxBytes };
}
