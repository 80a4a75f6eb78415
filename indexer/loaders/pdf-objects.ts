import zlib from 'node:zlib';

/**
 * A small read-only view of a PDF's objects: just enough to inspect fonts before pdf.js runs.
 * Bytes are held as a latin1 string so offsets are byte offsets and slices round-trip exactly.
 */
export type PdfValue = null | boolean | number | PdfName | PdfString | PdfRef | PdfValue[] | PdfDict;
export interface PdfName {
  kind: 'name';
  name: string;
}
export interface PdfString {
  kind: 'string';
  bytes: string;
}
export interface PdfRef {
  kind: 'ref';
  num: number;
}
export interface PdfDict {
  kind: 'dict';
  entries: Map<string, PdfValue>;
  /** Span of `<< ... >>` in `src`, so a dictionary can be copied verbatim. */
  src: string;
  start: number;
  end: number;
}
export interface PdfObject {
  num: number;
  value: PdfValue;
  /** The stream body's span in `src` when the object is a stream. */
  stream?: { start: number; end: number };
}

const WS = /[\0\t\n\f\r ]/;
const DELIM = /[\0\t\n\f\r ()<>[\]{}/%]/;

export class PdfParser {
  pos: number;
  constructor(
    readonly src: string,
    start = 0,
  ) {
    this.pos = start;
  }

  skipSpace(): void {
    const { src } = this;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if (c === '%') while (this.pos < src.length && !/[\r\n]/.test(src[this.pos]!)) this.pos++;
      else if (WS.test(c)) this.pos++;
      else return;
    }
  }

  private word(): string {
    const from = this.pos;
    while (this.pos < this.src.length && !DELIM.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(from, this.pos);
  }

  value(): PdfValue {
    this.skipSpace();
    const { src } = this;
    const c = src[this.pos];
    if (c === undefined) throw new Error('unexpected end of PDF data');
    if (src.startsWith('<<', this.pos)) return this.dict();
    if (c === '[') return this.array();
    if (c === '(') return this.literal();
    if (c === '<') return this.hex();
    if (c === '/') {
      this.pos++;
      return {
        kind: 'name',
        name: this.word().replace(/#([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))),
      };
    }
    const word = this.word();
    if (word === '') throw new Error(`unexpected '${c}' at ${this.pos}`);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    const n = Number(word);
    if (Number.isNaN(n)) throw new Error(`unexpected token '${word}'`);
    return this.refAfter(n);
  }

  /** `12 0 R` is a reference: look ahead past the generation number for the R. */
  private refAfter(n: number): PdfValue {
    const match = /^[\0\t\n\f\r ]+\d+[\0\t\n\f\r ]+R(?![^\0\t\n\f\r ()<>[\]{}/%])/.exec(this.src.slice(this.pos, this.pos + 32));
    if (!match || !Number.isInteger(n)) return n;
    this.pos += match[0].length;
    return { kind: 'ref', num: n };
  }

  private dict(): PdfDict {
    const start = this.pos;
    this.pos += 2;
    const entries = new Map<string, PdfValue>();
    for (;;) {
      this.skipSpace();
      if (this.src.startsWith('>>', this.pos)) break;
      const key = this.value();
      if (typeof key !== 'object' || key === null || !('kind' in key) || key.kind !== 'name')
        throw new Error('bad dictionary key');
      entries.set(key.name, this.value());
    }
    this.pos += 2;
    return { kind: 'dict', entries, src: this.src, start, end: this.pos };
  }

  private array(): PdfValue[] {
    this.pos++;
    const items: PdfValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === ']') break;
      items.push(this.value());
    }
    this.pos++;
    return items;
  }

  private hex(): PdfString {
    const end = this.src.indexOf('>', this.pos);
    if (end < 0) throw new Error('unterminated hex string');
    let digits = this.src.slice(this.pos + 1, end).replace(/[^0-9a-fA-F]/g, '');
    if (digits.length % 2) digits += '0';
    this.pos = end + 1;
    return { kind: 'string', bytes: Buffer.from(digits, 'hex').toString('latin1') };
  }

  private literal(): PdfString {
    const { src } = this;
    let depth = 0;
    let out = '';
    for (this.pos++; this.pos < src.length; this.pos++) {
      const c = src[this.pos]!;
      if (c === '\\') {
        const next = src[++this.pos] ?? '';
        const octal = /^[0-7]{1,3}/.exec(src.slice(this.pos, this.pos + 3));
        if (octal) {
          out += String.fromCharCode(Number.parseInt(octal[0], 8) & 0xff);
          this.pos += octal[0].length - 1;
        } else
          out +=
            ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[next] ??
            (/[\r\n]/.test(next) ? '' : next);
        continue;
      }
      if (c === '(') depth++;
      if (c === ')' && depth-- === 0) break;
      out += c;
    }
    this.pos++;
    return { kind: 'string', bytes: out };
  }
}

export function isDict(value: PdfValue | undefined): value is PdfDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'dict';
}

export function nameOf(value: PdfValue | undefined): string | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'name' ? value.name : undefined;
}

/** Reads the object whose body starts at `offset` (just after `N G obj`, or inside an object stream). */
export function readObjectAt(num: number, src: string, offset: number): PdfObject {
  const parser = new PdfParser(src, offset);
  const value = parser.value();
  parser.skipSpace();
  if (!isDict(value) || !src.startsWith('stream', parser.pos)) return { num, value };
  let start = parser.pos + 'stream'.length;
  if (src[start] === '\r') start++;
  if (src[start] === '\n') start++;
  const length = value.entries.get('Length');
  // Trust a direct /Length only when `endstream` really follows it; otherwise search for the keyword.
  if (typeof length === 'number' && /^\s*endstream/.test(src.slice(start + length, start + length + 12))) {
    return { num, value, stream: { start, end: start + length } };
  }
  const end = src.indexOf('endstream', start);
  return { num, value, stream: { start, end: end < 0 ? src.length : end } };
}

/** Inflates a stream; null for filters this reader does not need (images, predictors). */
export function decodeStream(dict: PdfDict, body: Buffer): Buffer | null {
  const filter = dict.entries.get('Filter');
  const filters = (Array.isArray(filter) ? filter : filter === undefined ? [] : [filter]).map(nameOf);
  if (filters.length === 0) return body;
  if (filters.length > 1 || (filters[0] !== 'FlateDecode' && filters[0] !== 'Fl')) return null;
  const parms = dict.entries.get('DecodeParms');
  if (isDict(parms) && (parms.entries.get('Predictor') ?? 1) !== 1) return null;
  try {
    return zlib.inflateSync(body);
  } catch {
    // A truncated stream still yields its first part: enough for most font tables and dictionaries.
    try {
      return zlib.inflateSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return null;
    }
  }
}
