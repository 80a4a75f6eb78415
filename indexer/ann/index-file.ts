import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { CairnError } from '../../core/index.ts';
import type { Metric } from './types.ts';

/**
 * The binary layout shared by the flat and ivf files: an 8-byte magic, a JSON header with its
 * length, then typed-array sections, each 8-byte aligned so they can be viewed without copying.
 */
const METRICS: Metric[] = ['cosine', 'ip', 'l2'];

export function isMetric(value: unknown): value is Metric {
  return typeof value === 'string' && (METRICS as string[]).includes(value);
}

let tempCounter = 0;

export function tempName(file: string): string {
  tempCounter += 1;
  return `${file}.tmp-${process.pid}-${tempCounter}`;
}

/** Writes parts to a temporary file, syncs it to disk and renames it over `file`. */
export function writeFileAtomic(file: string, parts: Uint8Array[]): void {
  const temp = tempName(file);
  const fd = openSync(temp, 'w');
  try {
    for (const part of parts) {
      let written = 0;
      while (written < part.byteLength) written += writeSync(fd, part, written, part.byteLength - written);
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

export function syncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** CRC-32 of a file, read in chunks (graph files can be gigabytes). */
export function crcOfFile(file: string): number {
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  let crc = 0;
  try {
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) return crc;
      crc = crc32(chunk.subarray(0, got), crc);
    }
  } finally {
    closeSync(fd);
  }
}

function crcOfSections(sections: ArrayBufferView[]): number {
  return sections.reduce((crc, section) => crc32(bytesOf(section), crc), 0);
}

/** Encodes magic + header + sections; section lengths and a CRC-32 of their bytes go into the header. */
export function encodeSections(magic: string, header: Record<string, unknown>, sections: ArrayBufferView[]): Uint8Array[] {
  const table = { ...header, sections: sections.map((s) => s.byteLength), crc: crcOfSections(sections) };
  const head = Buffer.from(JSON.stringify(table), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(magic.padEnd(8, ' ').slice(0, 8), 0, 'latin1');
  prefix.writeUInt32LE(head.length, 8);
  const parts: Uint8Array[] = [prefix, head, new Uint8Array(pad8(12 + head.length))];
  for (const section of sections) {
    parts.push(bytesOf(section), new Uint8Array(pad8(section.byteLength)));
  }
  return parts;
}

export interface DecodedFile {
  header: Record<string, unknown>;
  sections: Uint8Array[];
}

function corrupt(file: string, why: string): CairnError {
  return new CairnError('INDEX_CORRUPT', `Index file ${file} is corrupt: ${why}`, { file });
}

/** Reads a file written by encodeSections; a wrong magic, bad header or wrong length is INDEX_CORRUPT. */
export function decodeSections(file: string, magic: string): DecodedFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    throw new CairnError('INDEX_CORRUPT', `Index file ${file} cannot be read: ${(error as Error).message}`, { file });
  }
  if (buffer.length < 12 || buffer.toString('latin1', 0, 8) !== magic.padEnd(8, ' ').slice(0, 8)) {
    throw corrupt(file, 'not an index file of this kind');
  }
  const headLength = buffer.readUInt32LE(8);
  if (12 + headLength > buffer.length) throw corrupt(file, 'truncated header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.toString('utf8', 12, 12 + headLength)) as Record<string, unknown>;
  } catch {
    throw corrupt(file, 'unreadable header');
  }
  const lengths = header.sections;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isInteger(n) && n >= 0)) throw corrupt(file, 'no section table');
  let offset = 12 + headLength + pad8(12 + headLength);
  const sections: Uint8Array[] = [];
  for (const length of lengths as number[]) {
    if (offset + length > buffer.length) throw corrupt(file, 'truncated');
    // Copy into a fresh aligned buffer so typed views of any element size are valid.
    sections.push(new Uint8Array(buffer.subarray(offset, offset + length)));
    offset += length + pad8(length);
  }
  if (offset !== buffer.length) throw corrupt(file, `expected ${offset} bytes, found ${buffer.length}`);
  if (header.crc !== crcOfSections(sections)) throw corrupt(file, 'checksum mismatch');
  return { header, sections };
}

export function viewFloat32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export function viewFloat64(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

export function viewUint32(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Header fields every index file must carry; a mismatch with what the caller expects is INDEX_MISMATCH. */
export function checkHeader(
  file: string,
  header: Record<string, unknown>,
  expected: { metric?: Metric; dimensions?: number },
): { metric: Metric; dimensions: number; count: number } {
  const { metric, dimensions, count } = header;
  if (!isMetric(metric) || !Number.isInteger(dimensions) || !Number.isInteger(count)) throw corrupt(file, 'bad header fields');
  if (expected.metric !== undefined && expected.metric !== metric) {
    throw new CairnError('INDEX_MISMATCH', `Index file ${file} uses metric ${metric}, expected ${expected.metric}`, { file });
  }
  if (expected.dimensions !== undefined && expected.dimensions !== dimensions) {
    throw new CairnError('INDEX_MISMATCH', `Index file ${file} has ${dimensions} dimensions, expected ${expected.dimensions}`, {
      file,
    });
  }
  return { metric, dimensions: dimensions as number, count: count as number };
}
