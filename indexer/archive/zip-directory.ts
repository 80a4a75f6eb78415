import { CairnError } from '../../core/index.ts';

/**
 * Reads a ZIP's central directory without trusting it: every entry is located through its local
 * header, entries may not overlap, and anything a careful reader would have to guess about
 * (bytes before the archive, ZIP64, encryption, several disks) is refused rather than guessed.
 */

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const END_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

export interface ArchiveLimits {
  /** Bytes inflated in all, every entry and every nested archive together. */
  maxBytes: number;
  /** Entries in one archive. */
  maxEntries: number;
  /** Inflated bytes per compressed byte of one entry, once it is past RATIO_GRACE_BYTES. */
  maxRatio: number;
  /** Archives inside archives: 0 refuses any, 1 allows one level (a chart's workbook in a DOCX). */
  maxDepth: number;
  /** The largest nested archive held in memory to be checked in turn. */
  maxNestedBytes: number;
}

export interface ZipEntry {
  /** The name as stored (bytes kept, so the rewritten archive names it identically). */
  rawName: Buffer;
  name: string;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  localOffset: number;
  dataStart: number;
}

function unsafe(name: string, why: string): CairnError {
  return new CairnError('ARCHIVE_UNSAFE', `${name} ${why}`, { file: name });
}

function damaged(name: string, why: string): CairnError {
  return new CairnError('LOADER_FAILED', `The ZIP container ${name} is damaged: ${why}`, { file: name });
}

/** Where the end-of-central-directory record starts, or -1: searched from the end, as JSZip does. */
export function findEndRecord(data: Buffer): number {
  const floor = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.lastIndexOf(END_SIGNATURE, data.length - 22); at >= floor; ) {
    if (at + 22 + data.readUInt16LE(at + 20) === data.length) return at;
    if (at === 0) break;
    at = data.lastIndexOf(END_SIGNATURE, at - 1);
  }
  return -1;
}

/** True when the bytes are, or end as, a ZIP archive (so prepended bytes do not hide one). */
export function looksLikeZip(data: Uint8Array): boolean {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === LOCAL) return true;
  return bytes.length >= 22 && findEndRecord(bytes) >= 0;
}

interface EndRecord {
  at: number;
  entries: number;
  directoryStart: number;
  directorySize: number;
}

/** A ZIP64 archive names its entry count in its own record: read it so a huge count still says so. */
function refuseZip64(data: Buffer, end: number, name: string, limits: ArchiveLimits): never {
  const locator = end - 20;
  const recordAt = locator >= 0 && data.readUInt32LE(locator) === ZIP64_LOCATOR ? Number(data.readBigUInt64LE(locator + 8)) : -1;
  if (recordAt >= 0 && recordAt + 56 <= data.length && data.readUInt32LE(recordAt) === ZIP64_END) {
    const count = Number(data.readBigUInt64LE(recordAt + 32));
    if (count > limits.maxEntries) throw tooManyEntries(name, limits.maxEntries);
  }
  throw unsafe(name, 'is a ZIP64 archive; Office files never need ZIP64, so it is refused');
}

function tooManyEntries(name: string, limit: number): CairnError {
  return new CairnError('ARCHIVE_TOO_MANY_ENTRIES', `${name} has more than ${limit} entries`, { file: name, limit });
}

function readEnd(data: Buffer, name: string, limits: ArchiveLimits): EndRecord {
  const at = findEndRecord(data);
  if (at < 0) {
    throw data.includes(END_SIGNATURE)
      ? unsafe(name, 'has bytes after its end-of-directory record')
      : new CairnError('LOADER_FAILED', `${name} is not a ZIP container (no end-of-directory record)`, { file: name });
  }
  if (data.readUInt16LE(at + 4) !== 0 || data.readUInt16LE(at + 6) !== 0) throw unsafe(name, 'spans several disks');
  const record = {
    at,
    entries: data.readUInt16LE(at + 10),
    directorySize: data.readUInt32LE(at + 12),
    directoryStart: data.readUInt32LE(at + 16),
  };
  const zip64 = record.directorySize === 0xffffffff || record.directoryStart === 0xffffffff;
  if (zip64 || (at >= 20 && data.readUInt32LE(at - 20) === ZIP64_LOCATOR)) refuseZip64(data, at, name, limits);
  const directoryEnd = record.directoryStart + record.directorySize;
  if (directoryEnd < at) throw unsafe(name, `has ${at - directoryEnd} bytes before its ZIP data (prepended or self-extracting)`);
  if (directoryEnd > at) throw damaged(name, 'the central directory overruns its end record');
  return record;
}

function readCentral(data: Buffer, at: number, name: string): { entry: ZipEntry; next: number } {
  const nameLength = data.readUInt16LE(at + 28);
  const next = at + 46 + nameLength + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
  const rawName = data.subarray(at + 46, at + 46 + nameLength);
  const flags = data.readUInt16LE(at + 8);
  const entry: ZipEntry = {
    rawName,
    name: rawName.toString(flags & 0x0800 ? 'utf8' : 'latin1'),
    flags,
    method: data.readUInt16LE(at + 10),
    time: data.readUInt16LE(at + 12),
    date: data.readUInt16LE(at + 14),
    crc: data.readUInt32LE(at + 16),
    compressedSize: data.readUInt32LE(at + 20),
    localOffset: data.readUInt32LE(at + 42),
    dataStart: 0,
  };
  if (entry.flags & 0x0001) throw unsafe(name, `has an encrypted entry (${entry.name})`);
  if (entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff || data.readUInt32LE(at + 24) === 0xffffffff) {
    throw unsafe(name, `has a ZIP64 entry (${entry.name})`);
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw new CairnError(
      'LOADER_FAILED',
      `${name}: entry ${entry.name} uses compression method ${entry.method}, not stored or deflate`,
    );
  }
  return { entry, next };
}

/** Points the entry at its data through the local header, which must be where the directory says. */
function locate(data: Buffer, entry: ZipEntry, directoryStart: number, name: string): void {
  const at = entry.localOffset;
  if (at + 30 > directoryStart || data.readUInt32LE(at) !== LOCAL) throw damaged(name, `no local header for ${entry.name}`);
  entry.dataStart = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  if (entry.dataStart + entry.compressedSize > directoryStart) throw damaged(name, `${entry.name} runs past its data`);
}

/** Entries must tile the data in order from byte 0: no prepended bytes, no two entries sharing bytes. */
function refuseOverlaps(entries: ZipEntry[], name: string): void {
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  let free = 0;
  for (const entry of sorted) {
    if (entry.localOffset < free) throw unsafe(name, `has entries that share bytes (${entry.name})`);
    free = entry.dataStart + entry.compressedSize;
  }
  const first = sorted[0];
  if (first && first.localOffset !== 0) throw unsafe(name, `has ${first.localOffset} bytes before its first entry`);
}

/** The checked entries of a ZIP, in directory order. Nothing is inflated here. */
export function readDirectory(data: Buffer, name: string, limits: ArchiveLimits): ZipEntry[] {
  if (data.length < 22) throw new CairnError('LOADER_FAILED', `${name} is not a ZIP container (too short)`, { file: name });
  const end = readEnd(data, name, limits);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  for (let at = end.directoryStart; at < end.at; ) {
    if (at + 46 > end.at || data.readUInt32LE(at) !== CENTRAL) throw damaged(name, 'a central directory record is broken');
    if (entries.length === limits.maxEntries) throw tooManyEntries(name, limits.maxEntries);
    const { entry, next } = readCentral(data, at, name);
    if (next > end.at) throw damaged(name, 'a central directory record runs past the directory');
    if (names.has(entry.name)) throw unsafe(name, `names ${entry.name} twice`);
    names.add(entry.name);
    locate(data, entry, end.directoryStart, name);
    entries.push(entry);
    at = next;
  }
  if (entries.length !== end.entries)
    throw damaged(name, `the directory lists ${entries.length} entries, its end record ${end.entries}`);
  refuseOverlaps(entries, name);
  return entries;
}
