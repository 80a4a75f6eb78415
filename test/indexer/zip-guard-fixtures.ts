import { constants, deflateRawSync } from 'node:zlib';

/** ZIP archives built in the test, byte by byte, so each can lie in exactly one way. */

export const MB = 1024 * 1024;

export interface ZipPart {
  name: string;
  /** The entry's real content (deflated, or stored when `stored`). */
  data?: Buffer;
  /** Ready-made raw deflate data, used as is. */
  deflated?: Buffer;
  stored?: boolean;
  /** The uncompressed size the headers claim; default the real size. */
  declaredSize?: number;
}

export interface ZipOptions {
  /** Bytes put before the archive. */
  prepend?: Buffer;
  /** Whether the offsets count the prepended bytes (as `zip -A` does) or not (as `cat stub a.zip` does). */
  shiftOffsets?: boolean;
}

function header(size: number, fields: [number, number, 'u16' | 'u32'][]): Buffer {
  const out = Buffer.alloc(size);
  for (const [at, value, kind] of fields) kind === 'u16' ? out.writeUInt16LE(value, at) : out.writeUInt32LE(value, at);
  return out;
}

/** Rewrites the directory record of entry `index` to point at `offset` (two entries sharing bytes). */
export function pointEntryAt(zip: Buffer, index: number, offset: number): Buffer {
  const out = Buffer.from(zip);
  let at = out.readUInt32LE(out.length - 22 + 16);
  for (let i = 0; i < index; i++) at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  out.writeUInt32LE(offset, at + 42);
  return out;
}

export function buildZip(parts: ZipPart[], options: ZipOptions = {}): Buffer {
  const prepend = options.prepend ?? Buffer.alloc(0);
  const base = options.shiftOffsets ? prepend.length : 0;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const part of parts) {
    const data = part.data ?? Buffer.alloc(0);
    const body = part.deflated ?? (part.stored ? data : deflateRawSync(data));
    const method = part.stored ? 0 : 8;
    const declared = part.declaredSize ?? data.length;
    const name = Buffer.from(part.name);
    offsets.push(at);
    const local = header(30, [
      [0, 0x04034b50, 'u32'],
      [4, 20, 'u16'],
      [8, method, 'u16'],
      [18, body.length, 'u32'],
      [22, declared, 'u32'],
      [26, name.length, 'u16'],
    ]);
    locals.push(local, name, body);
    at += 30 + name.length + body.length;
    const central = header(46, [
      [0, 0x02014b50, 'u32'],
      [4, 20, 'u16'],
      [6, 20, 'u16'],
      [10, method, 'u16'],
      [20, body.length, 'u32'],
      [24, declared, 'u32'],
      [28, name.length, 'u16'],
      [42, (offsets.at(-1) as number) + base, 'u32'],
    ]);
    centrals.push(central, name);
  }
  const directory = Buffer.concat(centrals);
  const end = header(22, [
    [0, 0x06054b50, 'u32'],
    [8, parts.length & 0xffff, 'u16'],
    [10, parts.length & 0xffff, 'u16'],
    [12, directory.length, 'u32'],
    [16, at + base, 'u32'],
  ]);
  return Buffer.concat([prepend, ...locals, directory, end]);
}

/**
 * Raw deflate data for `bytes` zeros, made in milliseconds: one fully flushed 1 MiB block (about
 * 1 KB, with no back-reference outside itself) repeated, then an empty final block.
 */
export function zerosDeflated(bytes: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(MB), { finishFlush: constants.Z_FULL_FLUSH });
  return Buffer.concat([...new Array<Buffer>(Math.ceil(bytes / MB)).fill(block), Buffer.from([0x03, 0x00])]);
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';

export function documentXml(text: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
  );
}

/** The parts of a minimal DOCX; `document` replaces word/document.xml, `extra` adds parts. */
export function docxParts(
  document: Omit<ZipPart, 'name'> = { data: documentXml('Hello guarded world.') },
  extra: ZipPart[] = [],
): ZipPart[] {
  return [
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(RELS) },
    { name: 'word/document.xml', ...document },
    ...extra,
  ];
}

/** A DOCX whose word/document.xml inflates to `bytes` zeros while every header says 3,000 bytes. */
export function lyingDocx(bytes: number, options: ZipOptions = {}): Buffer {
  return buildZip(docxParts({ deflated: zerosDeflated(bytes), declaredSize: 3000 }), options);
}

/** A ZIP of `count` empty stored entries (the end record's 16-bit count wraps, as a sloppy writer's would). */
export function manyEntriesZip(count: number): Buffer {
  const parts: ZipPart[] = [];
  for (let i = 0; i < count; i++) parts.push({ name: `f/${i}`, stored: true });
  return buildZip(parts);
}

export interface PeakRss<T> {
  outcome: T | unknown;
  /** Peak resident memory above the level at the start, in MiB. */
  growthMb: number;
  /** The longest wait of a 5 ms timer while it ran: how long the event loop was blocked. */
  longestGapMs: number;
}

/** Runs `work` while sampling RSS every 5 ms; the outcome is its value or what it threw. */
export async function measurePeakRss<T>(work: () => Promise<T>): Promise<PeakRss<T>> {
  const start = process.memoryUsage.rss();
  let peak = start;
  let last = performance.now();
  let longestGapMs = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 5);
  let outcome: T | unknown;
  try {
    outcome = await work();
  } catch (error) {
    outcome = error;
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { outcome, growthMb: (peak - start) / MB, longestGapMs };
}
