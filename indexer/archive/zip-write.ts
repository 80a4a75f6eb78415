import { CairnError } from '../../core/index.ts';
import type { ZipEntry } from './zip-directory.ts';

/** Flags kept from the source: deflate options and UTF-8 names. Data descriptors are written out. */
const KEPT_FLAGS = 0x0806;

export interface CheckedEntry {
  entry: ZipEntry;
  /** The bytes the entry really inflated to, counted, never the declared size. */
  size: number;
}

function writeLocal(out: Buffer, at: number, { entry, size }: CheckedEntry, compressed: Buffer): number {
  out.writeUInt32LE(0x04034b50, at);
  out.writeUInt16LE(20, at + 4);
  out.writeUInt16LE(entry.flags & KEPT_FLAGS, at + 6);
  out.writeUInt16LE(entry.method, at + 8);
  out.writeUInt16LE(entry.time, at + 10);
  out.writeUInt16LE(entry.date, at + 12);
  out.writeUInt32LE(entry.crc, at + 14);
  out.writeUInt32LE(compressed.length, at + 18);
  out.writeUInt32LE(size, at + 22);
  out.writeUInt16LE(entry.rawName.length, at + 26);
  out.writeUInt16LE(0, at + 28);
  entry.rawName.copy(out, at + 30);
  compressed.copy(out, at + 30 + entry.rawName.length);
  return at + 30 + entry.rawName.length + compressed.length;
}

function writeCentral(out: Buffer, at: number, { entry, size }: CheckedEntry, compressedSize: number, localAt: number): number {
  out.writeUInt32LE(0x02014b50, at);
  out.writeUInt16LE(20, at + 4);
  out.writeUInt16LE(20, at + 6);
  out.writeUInt16LE(entry.flags & KEPT_FLAGS, at + 8);
  out.writeUInt16LE(entry.method, at + 10);
  out.writeUInt16LE(entry.time, at + 12);
  out.writeUInt16LE(entry.date, at + 14);
  out.writeUInt32LE(entry.crc, at + 16);
  out.writeUInt32LE(compressedSize, at + 20);
  out.writeUInt32LE(size, at + 24);
  out.writeUInt16LE(entry.rawName.length, at + 28);
  out.fill(0, at + 30, at + 42); // extra, comment, disk, attributes
  out.writeUInt32LE(localAt, at + 42);
  entry.rawName.copy(out, at + 46);
  return at + 46 + entry.rawName.length;
}

/**
 * The checked entries, and only they, as a plain ZIP whose headers state the counted sizes. A
 * reader such as JSZip then sees exactly what was checked: no prepended bytes, no data
 * descriptors, no extra fields, no sizes that lie.
 */
export function rewriteZip(data: Buffer, checked: CheckedEntry[]): Buffer {
  let total = 22;
  for (const { entry, size } of checked) {
    if (size > 0xfffffffe) throw new CairnError('ARCHIVE_TOO_LARGE', `${entry.name} is larger than a plain ZIP entry can be`);
    total += 30 + 46 + 2 * entry.rawName.length + entry.compressedSize;
  }
  const out = Buffer.alloc(total);
  const offsets: number[] = [];
  let at = 0;
  for (const item of checked) {
    offsets.push(at);
    const { dataStart, compressedSize } = item.entry;
    at = writeLocal(out, at, item, data.subarray(dataStart, dataStart + compressedSize));
  }
  const directoryStart = at;
  checked.forEach((item, i) => {
    at = writeCentral(out, at, item, item.entry.compressedSize, offsets[i] ?? 0);
  });
  out.writeUInt32LE(0x06054b50, at);
  out.fill(0, at + 4, at + 8);
  out.writeUInt16LE(checked.length, at + 8);
  out.writeUInt16LE(checked.length, at + 10);
  out.writeUInt32LE(at - directoryStart, at + 12);
  out.writeUInt32LE(directoryStart, at + 16);
  out.writeUInt16LE(0, at + 20);
  return out;
}
