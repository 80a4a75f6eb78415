import { decodeStream, isDict, type PdfDict, type PdfObject, type PdfValue, readObjectAt } from './pdf-objects.ts';

/**
 * Objects found by scanning for `N G obj` rather than by trusting the xref table: the same
 * recovery pdf.js falls back to, and it also works on the damaged files this loader must survive.
 * Later definitions win, as they do in an incrementally updated file.
 */
export interface PdfFile {
  /** The original bytes as latin1. */
  src: string;
  get(num: number): PdfObject | undefined;
  resolve(value: PdfValue | undefined): PdfValue | undefined;
  streamBytes(object: PdfObject): Buffer | null;
  /** Every object number in use, to size an appended xref section. */
  maxObjectNumber: number;
  /** Objects whose source mentions `pattern` (top level and inside object streams). */
  find(pattern: RegExp): PdfObject[];
}

interface Location {
  src: string;
  offset: number;
}

function scanTopLevel(src: string): Map<number, Location> {
  const found = new Map<number, Location>();
  const re = /(\d+)[\0\t\n\f\r ]+\d+[\0\t\n\f\r ]+obj\b/g;
  for (let m = re.exec(src); m; m = re.exec(src)) found.set(Number(m[1]), { src, offset: m.index + m[0].length });
  return found;
}

/** The object stream's header lists `num offset` pairs relative to /First. */
function scanObjectStream(dict: PdfDict, body: string): [number, Location][] {
  const first = dict.entries.get('First');
  const count = dict.entries.get('N');
  if (typeof first !== 'number' || typeof count !== 'number') return [];
  const numbers = body.slice(0, first).trim().split(/\s+/).map(Number);
  const out: [number, Location][] = [];
  for (let i = 0; i < count && 2 * i + 1 < numbers.length; i++) {
    out.push([numbers[2 * i]!, { src: body, offset: first + numbers[2 * i + 1]! }]);
  }
  return out;
}

/** Object starts in `src`, sorted, so a match can be attributed by binary search. */
function startsIn(src: string, locations: Map<number, Location>): [number, number][] {
  const starts: [number, number][] = [];
  for (const [num, loc] of locations) if (loc.src === src) starts.push([loc.offset, num]);
  return starts.sort((a, b) => a[0] - b[0]);
}

function enclosing(starts: [number, number][], at: number): number | undefined {
  let lo = 0;
  let hi = starts.length - 1;
  let found: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]![0] <= at) [found, lo] = [starts[mid]![1], mid + 1];
    else hi = mid - 1;
  }
  return found;
}

export function openPdfFile(bytes: Uint8Array): PdfFile {
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const locations = scanTopLevel(src);
  const cache = new Map<number, PdfObject | null>();
  const get = (num: number): PdfObject | undefined => {
    if (!cache.has(num)) {
      const loc = locations.get(num);
      cache.set(num, loc ? tryRead(num, loc) : null);
    }
    return cache.get(num) ?? undefined;
  };
  const streamBytes = (object: PdfObject): Buffer | null => {
    if (!object.stream || !isDict(object.value)) return null;
    const { src: from } = object.value;
    return decodeStream(object.value, Buffer.from(from.slice(object.stream.start, object.stream.end), 'latin1'));
  };
  const streamSources: string[] = [src];
  for (const object of matching(src, locations, /\/Type[\0\t\n\f\r ]*\/ObjStm\b/g, get)) {
    const body = streamBytes(object)?.toString('latin1');
    if (!body || !isDict(object.value)) continue;
    streamSources.push(body);
    for (const [num, loc] of scanObjectStream(object.value, body)) if (!locations.has(num)) locations.set(num, loc);
  }
  const resolve = (value: PdfValue | undefined): PdfValue | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'ref' ? get(value.num)?.value : value;
  const find = (pattern: RegExp) => streamSources.flatMap((from) => matching(from, locations, pattern, get));
  return { src, get, resolve, streamBytes, maxObjectNumber: Math.max(0, ...locations.keys()), find };
}

function tryRead(num: number, loc: Location): PdfObject | null {
  try {
    return readObjectAt(num, loc.src, loc.offset);
  } catch {
    return null;
  }
}

function matching(
  src: string,
  locations: Map<number, Location>,
  pattern: RegExp,
  get: (num: number) => PdfObject | undefined,
): PdfObject[] {
  const re = new RegExp(pattern.source, 'g');
  const nums = new Set<number>();
  let starts: [number, number][] | undefined;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    starts ??= startsIn(src, locations);
    const num = enclosing(starts, m.index);
    if (num !== undefined) nums.add(num);
  }
  return [...nums].flatMap((num) => get(num) ?? []);
}
