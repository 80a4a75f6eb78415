import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import type { Bm25Params, Bm25Snapshot } from './bm25-index.ts';
import { analyze } from './tokenize.ts';

/**
 * A collection's BM25 index saved in the data folder, so a start loads it instead of analyzing
 * every chunk again. Layout (little-endian): 8-byte magic, u32 format version, u32 header length,
 * a JSON header (params, analyzer fingerprint, the database's store id and the chunks' change
 * stamp it holds, statistics, the
 * section lengths and a CRC-32 of the sections), then six sections, each starting on an 8-byte
 * boundary: terms (UTF-8, NUL-separated), per-term offsets (u32), posting docs (i32), impacts
 * (f32), rowids (f64), tombstones (u8). Loading reads the file once and views the sections in
 * place: no per-posting work. The file is only a cache: anything that does not match is rebuilt.
 */
/** 2: the header names the database (store id); format-1 files are rebuilt once. */
export const BM25_FILE_FORMAT = 2;
const MAGIC = 'CAIRNBM2';
const PREFIX = 16;

/** What the index was built from: the collection's chunks up to this stamp (lexical.ts compares it). */
export interface ChunkStamp {
  count: number;
  maxRowid: number;
}

export interface Bm25FileHeader {
  format: number;
  analyzer: string;
  params: Bm25Params;
  /** The database it was built from (Store.id): a stamp alone matches a new database that reached the same counts. */
  storeId: string;
  collectionId: string;
  stamp: ChunkStamp;
  avg: number;
  built: number;
  changes: number;
  maxRowid: number;
  terms: number;
  postings: number;
  docs: number;
  sections: number[];
  crc: number;
}

export type Bm25FileRead =
  | { ok: true; snapshot: Bm25Snapshot; stamp: ChunkStamp; bytes: number }
  | { ok: false; reason: 'missing' | 'mismatch' | 'corrupt'; detail: string };

const PROBE = 'The Runners ran quickly through naïve cafés, studying 42 relational databases; 東京の検索';
let fingerprint: string | null = null;

/** The analyzer's behaviour on a probe text: a changed tokenizer or stemmer changes it, and old files are rebuilt. */
export function analyzerFingerprint(): string {
  fingerprint ??= createHash('sha256').update(analyze(PROBE).join('\u0000')).digest('hex').slice(0, 16);
  return fingerprint;
}

export function bm25FileName(folder: string): string {
  return path.join(folder, 'bm25.bin');
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function sectionsOf(snapshot: Bm25Snapshot): Uint8Array[] {
  const terms = Buffer.from(snapshot.terms.join('\u0000'), 'utf8');
  const { offsets, docs, impacts, rowids, dead } = snapshot;
  return [terms, bytesOf(offsets), bytesOf(docs), bytesOf(impacts), bytesOf(rowids), bytesOf(dead)];
}

/** The file's bytes as parts to write in order; null when this machine is big-endian (no file, a rebuild each start). */
export function encodeBm25File(
  snapshot: Bm25Snapshot,
  owner: { storeId: string; collectionId: string },
  stamp: ChunkStamp,
): Uint8Array[] | null {
  if (endianness() !== 'LE') return null;
  const sections = sectionsOf(snapshot);
  const header: Bm25FileHeader = {
    format: BM25_FILE_FORMAT,
    analyzer: analyzerFingerprint(),
    params: snapshot.params,
    storeId: owner.storeId,
    collectionId: owner.collectionId,
    stamp,
    avg: snapshot.avg,
    built: snapshot.built,
    changes: snapshot.changes,
    maxRowid: snapshot.maxRowid,
    terms: snapshot.terms.length,
    postings: snapshot.docs.length,
    docs: snapshot.rowids.length,
    sections: sections.map((s) => s.byteLength),
    crc: sections.reduce((crc, s) => crc32(s, crc), 0),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(BM25_FILE_FORMAT, 8);
  prefix.writeUInt32LE(json.length, 12);
  const parts: Uint8Array[] = [prefix, json, new Uint8Array(pad8(PREFIX + json.length))];
  for (const section of sections) parts.push(section, new Uint8Array(pad8(section.byteLength)));
  return parts;
}

let temps = 0;

/** Writes the parts to a temporary file, syncs and renames it over `file`: readers see the old file or the new one. */
export async function writeFileAtomically(file: string, parts: Uint8Array[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  temps += 1;
  const temp = `${file}.tmp-${process.pid}-${threadId}-${temps}`;
  const handle = await open(temp, 'w');
  try {
    for (const part of parts) {
      let written = 0;
      while (written < part.byteLength) written += (await handle.write(part, written)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/** Reads `length` bytes at `position` into a fresh buffer (offset 0, so every typed view is aligned). */
function readBytes(fd: number, length: number, position: number, shared: boolean): Uint8Array {
  const bytes = new Uint8Array(shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  let got = 0;
  while (got < length) {
    const n = readSync(fd, bytes, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? bytes : bytes.subarray(0, got);
}

function parseHeader(bytes: Uint8Array): Bm25FileHeader | string {
  if (bytes.length < PREFIX) return 'shorter than its prefix';
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.toString('latin1', 0, 8) !== MAGIC) return 'not a BM25 index file';
  if (view.readUInt32LE(8) !== BM25_FILE_FORMAT) return `format ${view.readUInt32LE(8)}, expected ${BM25_FILE_FORMAT}`;
  const length = view.readUInt32LE(12);
  if (PREFIX + length > bytes.length) return 'truncated header';
  try {
    return JSON.parse(view.toString('utf8', PREFIX, PREFIX + length)) as Bm25FileHeader;
  } catch {
    return 'unreadable header';
  }
}

/** Why this header cannot be used for these params, database and collection, or null when it can. */
export function bm25HeaderMismatch(header: Bm25FileHeader, options: Omit<ReadOptions, 'shared'>): string | null {
  const p = header.params;
  const { params } = options;
  if (!p || p.k1 !== params.k1 || p.b !== params.b || p.titleWeight !== params.titleWeight) return 'other BM25 params';
  if (header.analyzer !== analyzerFingerprint()) return 'another analyzer';
  if (header.storeId !== options.storeId) return 'another database';
  if (header.collectionId !== options.collectionId) return 'another collection';
  return null;
}

/** The header alone (a few hundred bytes), or null when there is no readable file: tells a writer whether its save is news. */
export function readBm25Header(file: string): Bm25FileHeader | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const prefix = readBytes(fd, PREFIX, 0, false);
    if (prefix.length < PREFIX) return null;
    const length = Buffer.from(prefix.buffer).readUInt32LE(12);
    const header = parseHeader(readBytes(fd, PREFIX + Math.min(length, 1 << 20), 0, false));
    if (typeof header === 'string' || !Array.isArray(header.sections)) return null;
    // A file cut short is not current, whatever its header says.
    const jsonEnd = PREFIX + length;
    const size = header.sections.reduce((end, n) => end + n + pad8(n), jsonEnd + pad8(jsonEnd));
    return size === fstatSync(fd).size ? header : null;
  } finally {
    closeSync(fd);
  }
}

export interface ReadOptions {
  params: Bm25Params;
  /** The open database's id: a file built from another database is a mismatch. */
  storeId: string;
  collectionId: string;
  /** Back the arrays with a SharedArrayBuffer (to hand them to other threads without a copy). */
  shared?: boolean;
}

/** The saved index as views over the file's bytes; never throws: a missing, foreign or damaged file is a reason. */
export function readBm25File(file: string, options: ReadOptions): Bm25FileRead {
  let bytes: Uint8Array;
  try {
    const fd = openSync(file, 'r');
    try {
      bytes = readBytes(fd, fstatSync(fd).size, 0, options.shared ?? false);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return { ok: false, reason: 'missing', detail: (error as Error).message };
  }
  return decodeBm25File(bytes, options);
}

/** A whole file's bytes in a SharedArrayBuffer (read without blocking), for threads to view without copies; null when unreadable. */
export async function readSharedBytes(file: string): Promise<Uint8Array | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(bytes, got, size - got, got);
      if (bytesRead === 0) return bytes.subarray(0, got);
      got += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** The index in a file's bytes (views, not copies, save the tombstones), checked against params, analyzer, database and collection. */
export function decodeBm25File(bytes: Uint8Array, options: ReadOptions): Bm25FileRead {
  if (endianness() !== 'LE') return { ok: false, reason: 'mismatch', detail: 'big-endian machine' };
  const header = parseHeader(bytes);
  if (typeof header === 'string') {
    return { ok: false, reason: header.startsWith('format') ? 'mismatch' : 'corrupt', detail: header };
  }
  const wrong = bm25HeaderMismatch(header, options);
  if (wrong) return { ok: false, reason: 'mismatch', detail: wrong };
  const snapshot = decodeSections(bytes, header);
  if (typeof snapshot === 'string') return { ok: false, reason: 'corrupt', detail: snapshot };
  return { ok: true, snapshot, stamp: header.stamp, bytes: bytes.byteLength };
}

function decodeSections(bytes: Uint8Array, header: Bm25FileHeader): Bm25Snapshot | string {
  const lengths = header.sections;
  const { terms: t, postings: p, docs: n } = header;
  const expected = [-1, (t + 1) * 4, p * 4, p * 4, n * 8, n];
  if (
    !Array.isArray(lengths) ||
    lengths.length !== 6 ||
    lengths.some((l, i) => !Number.isInteger(l) || (i > 0 && l !== expected[i]))
  ) {
    return 'bad section table';
  }
  const jsonEnd = PREFIX + Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(12);
  let at = jsonEnd + pad8(jsonEnd);
  const views: Uint8Array[] = [];
  for (const length of lengths) {
    if (at + length > bytes.length) return 'truncated';
    views.push(bytes.subarray(at, at + length));
    at += length + pad8(length);
  }
  if (at !== bytes.length) return `expected ${at} bytes, found ${bytes.length}`;
  if (views.reduce((crc, v) => crc32(v, crc), 0) !== header.crc) return 'checksum mismatch';
  const [termBytes, o, d, i, r, dead] = views as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const offsets = new Uint32Array(o.buffer, o.byteOffset, t + 1);
  const text = Buffer.from(termBytes.buffer, termBytes.byteOffset, termBytes.byteLength).toString('utf8');
  const terms = t === 0 ? [] : text.split('\u0000');
  if (terms.length !== t || offsets[0] !== 0 || offsets[t] !== p) return 'inconsistent term table';
  for (let k = 0; k < t; k++) if ((offsets[k + 1] as number) < (offsets[k] as number)) return 'inconsistent term table';
  return {
    params: header.params,
    avg: header.avg,
    built: header.built,
    changes: header.changes,
    maxRowid: header.maxRowid,
    terms,
    offsets,
    docs: new Int32Array(d.buffer, d.byteOffset, p),
    impacts: new Float32Array(i.buffer, i.byteOffset, p),
    rowids: new Float64Array(r.buffer, r.byteOffset, n),
    // Tombstones are written by catch-ups: a private copy, even when the rest is shared with other threads.
    dead: dead.slice(),
  };
}
