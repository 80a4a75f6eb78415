import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectionFolder, leaseFile, tryAcquireLease } from '../../indexer/ann/index.ts';
import { buildBm25Index, createLexicalIndexCache, type LexicalCacheOptions, readSharedBytes } from '../../retrieval/index.ts';
import type { Store } from '../../store/index.ts';
import { addDocument, createTestStore } from './helpers.ts';

const WORDS = 'apple river stone cloud maple tiger violin harbor lantern copper meadow falcon pepper glacier velvet'.split(' ');
const QUERIES = ['apple river', 'tiger', 'violin harbor lantern', 'glacier velvet falcon', 'stone', 'zebra okapi'];

/** Deterministic chunks: word i of chunk j cycles through WORDS at different strides. */
function chunks(doc: number, count: number): string[] {
  return Array.from({ length: count }, (_, j) =>
    Array.from({ length: 4 + ((doc + j) % 5) }, (_, i) => WORDS[(doc * 7 + j * 3 + i * (doc + 2)) % WORDS.length]).join(' '),
  );
}

let dataDir: string;
let store: Store;
const warnings: Record<string, unknown>[] = [];

const cache = (options: LexicalCacheOptions = {}) =>
  createLexicalIndexCache({ dataDir, saveDelayMs: 60_000, onWarning: (_, details) => warnings.push(details), ...options });
const fileOf = () => path.join(collectionFolder(dataDir, 'kb'), 'bm25.bin');
const answers = (index: { search(q: string, k: number): unknown }) => QUERIES.map((q) => index.search(q, 10));

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-bm25-'));
  store = createTestStore();
  warnings.length = 0;
  for (let doc = 0; doc < 12; doc++)
    addDocument(store, 'kb', { source: `d${doc}.txt`, title: doc % 3 === 0 ? 'Apple notes' : '', chunks: chunks(doc, 5) });
});

afterEach(() => {
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Saves kb's index through one cache and returns it (closed: the file is written). */
async function saved() {
  const writer = cache();
  writer.get(store, 'kb');
  await writer.close();
  expect([writer.builds, writer.saves]).toEqual([1, 1]);
  return writer;
}

describe('BM25 index file', () => {
  it('loads an index that answers exactly as a fresh build (rowids and scores)', async () => {
    await saved();
    const reader = cache();
    const loaded = reader.get(store, 'kb');
    expect([reader.loads, reader.builds, reader.catchUps]).toEqual([1, 0, 0]);
    const fresh = buildBm25Index(store.chunks.iterateSearchFields('kb'));
    expect(answers(loaded)).toEqual(answers(fresh));
    expect(answers(loaded)[0]).toHaveLength(10);
    expect([loaded.size, loaded.maxRowid, loaded.drift()]).toEqual([fresh.size, fresh.maxRowid, 0]);
    expect(loaded.rowids()).toEqual(fresh.rowids());
    // Nothing changed: a close does not write the same index again.
    await reader.close();
    expect(reader.saves).toBe(0);
  });

  it('catches a stale file up (added and removed chunks) to what a cache that never saved answers', async () => {
    const memory = createLexicalIndexCache();
    memory.get(store, 'kb');
    await saved();
    addDocument(store, 'kb', { source: 'zoo.txt', chunks: ['zebra okapi apple', 'okapi tiger'] });
    store.documents.remove('kb:d3.txt');
    addDocument(store, 'kb', { source: 'd5.txt', chunks: ['river stone replaced'] });
    const reader = cache();
    const caughtUp = reader.get(store, 'kb');
    expect([reader.loads, reader.builds, reader.catchUps]).toEqual([1, 0, 1]);
    const inMemory = memory.get(store, 'kb');
    expect([memory.builds, memory.catchUps]).toEqual([1, 1]);
    expect(answers(caughtUp)).toEqual(answers(inMemory));
    const fresh = buildBm25Index(store.chunks.iterateSearchFields('kb'));
    expect(caughtUp.rowids()).toEqual(fresh.rowids());
    expect(caughtUp.size).toBe(53);
    // The same documents rank first; scores keep the saved build's statistics (N, df, average length), as in memory.
    expect(caughtUp.search('zebra okapi', 2).map((h) => h.rowid)).toEqual(fresh.search('zebra okapi', 2).map((h) => h.rowid));
    expect(caughtUp.search('apple river', 10).map((h) => h.rowid)).toEqual(fresh.search('apple river', 10).map((h) => h.rowid));
  });

  it('rebuilds instead of catching up once the file is too far behind', async () => {
    await saved();
    for (let doc = 20; doc < 40; doc++) addDocument(store, 'kb', { source: `d${doc}.txt`, chunks: chunks(doc, 5) });
    const reader = cache();
    const index = reader.get(store, 'kb');
    expect([reader.loads, reader.builds, reader.catchUps]).toEqual([1, 1, 0]);
    expect(answers(index)).toEqual(answers(buildBm25Index(store.chunks.iterateSearchFields('kb'))));
  });

  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2)), 'corrupt', 'truncated'],
    ['a flipped byte in its sections', (bytes: Buffer) => flip(bytes, bytes.length - 200), 'corrupt', 'checksum mismatch'],
    ['another format version', (bytes: Buffer) => patchU32(bytes, 8, 99), 'mismatch', 'format 99, expected 2'],
    ['not an index file', () => Buffer.from('hello'), 'corrupt', 'shorter than its prefix'],
    ['empty', () => Buffer.alloc(0), 'corrupt', 'shorter than its prefix'],
  ])('ignores a file that is %s and rebuilds (then saves a good one)', async (_, damage, reason, detail) => {
    await saved();
    writeFileSync(fileOf(), damage(readFileSync(fileOf())));
    const reader = cache();
    const index = reader.get(store, 'kb');
    expect([reader.loads, reader.builds]).toEqual([0, 1]);
    expect(warnings).toEqual([{ collectionId: 'kb', reason, detail }]);
    expect(answers(index)).toEqual(answers(buildBm25Index(store.chunks.iterateSearchFields('kb'))));
    await reader.close();
    expect(warnings).toHaveLength(1);
    expect(reader.saves).toBe(1);
    const again = cache();
    again.get(store, 'kb');
    expect([again.loads, again.builds]).toEqual([1, 0]);
  });

  it('ignores a file saved with other params and rebuilds with its own', async () => {
    await saved();
    const params = { k1: 0.9, b: 0.4, titleWeight: 2 };
    const reader = cache({ params });
    const index = reader.get(store, 'kb');
    expect([reader.loads, reader.builds]).toEqual([0, 1]);
    expect(warnings).toEqual([{ collectionId: 'kb', reason: 'mismatch', detail: 'other BM25 params' }]);
    expect(answers(index)).toEqual(answers(buildBm25Index(store.chunks.iterateSearchFields('kb'), params)));
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = (out[at] as number) ^ 0xff;
  return out;
}

function patchU32(bytes: Buffer, at: number, value: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32LE(value, at);
  return out;
}

describe('saving', () => {
  it('two caches on one folder (two search workers): only one writes', async () => {
    const [a, b] = [cache(), cache()];
    a.get(store, 'kb');
    b.get(store, 'kb');
    // At once: the second finds the lease taken.
    await Promise.all([a.close(), b.close()]);
    expect([a.saves, b.saves]).toEqual([1, 0]);
    // One after the other: the second finds the file already holds what it has.
    const [c, d] = [cache(), cache()];
    rmSync(fileOf());
    c.get(store, 'kb');
    d.get(store, 'kb');
    await c.close();
    await d.close();
    expect([c.saves, d.saves]).toEqual([1, 0]);
  });

  it('a writer removes what an unfinished save left behind', async () => {
    const folder = collectionFolder(dataDir, 'kb');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'bm25.bin.tmp-123-1-1'), 'partial');
    await saved();
    expect(readdirSync(folder)).toEqual(['bm25.bin']);
  });

  it('leaves the file to a writer that holds the lease, and saves on a later close', async () => {
    const lease = tryAcquireLease(leaseFile(collectionFolder(dataDir, 'kb'), 'bm25'));
    const writer = cache();
    writer.get(store, 'kb');
    await writer.close();
    expect(writer.saves).toBe(0);
    lease?.release();
    await writer.close();
    expect(writer.saves).toBe(1);
  });

  it('saves after a build off the search path (debounced), and not for a small catch-up', async () => {
    const writer = cache({ saveDelayMs: 5 });
    writer.get(store, 'kb');
    expect(writer.saves).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(writer.saves).toBe(1);
    const written = statSync(fileOf()).mtimeMs;
    addDocument(store, 'kb', { source: 'zoo.txt', chunks: ['zebra'] });
    writer.get(store, 'kb');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([writer.catchUps, writer.saves, statSync(fileOf()).mtimeMs]).toEqual([1, 1, written]);
    // A clean close saves the rest.
    await writer.close();
    expect(writer.saves).toBe(2);
  });

  it('a dropped collection loses its file, and a pending save does not bring it back', async () => {
    await saved();
    const writer = cache({ saveDelayMs: 5 });
    addDocument(store, 'kb', { source: 'zoo.txt', chunks: chunks(50, 20) });
    writer.get(store, 'kb');
    writer.drop('kb');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.close();
    expect([writer.saves, exists(fileOf())]).toEqual([0, false]);
  });

  it('warm-ups through sharedBytes view one copy of the file (the search pool hands it to every worker)', async () => {
    await saved();
    let reads = 0;
    let shared: Promise<Uint8Array | null> | null = null;
    const sharedBytes = (file: string) => {
      if (!shared) {
        reads++;
        shared = readSharedBytes(file);
      }
      return shared;
    };
    const [a, b] = [cache({ sharedBytes }), cache({ sharedBytes })];
    await Promise.all([a.warm(store, ['kb']), b.warm(store, ['kb'])]);
    expect([reads, a.loads, b.loads, a.builds, b.builds]).toEqual([1, 1, 1, 0, 0]);
    const [one, two] = [a.get(store, 'kb'), b.get(store, 'kb')];
    const [first, second] = [one.snapshot(), two.snapshot()];
    expect(first.docs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(first.docs.buffer).toBe(second.docs.buffer);
    // Tombstones are each one's own: a removal in one worker is not seen by the other.
    expect(first.dead.buffer).not.toBe(second.dead.buffer);
    expect(answers(one)).toEqual(answers(buildBm25Index(store.chunks.iterateSearchFields('kb'))));
    store.documents.remove('kb:d3.txt');
    expect(a.get(store, 'kb').rowids()).toHaveLength(55);
    expect([a.catchUps, b.catchUps]).toEqual([1, 0]);
  });

  it('warms saved indexes in the background; collections without a file wait for their query', async () => {
    await saved();
    addDocument(store, 'other', { source: 'x.txt', chunks: ['zebra'] });
    const reader = cache();
    await reader.warm(store, ['kb', 'other']);
    expect([reader.loads, reader.builds]).toEqual([1, 0]);
    reader.get(store, 'kb');
    reader.get(store, 'other');
    expect([reader.loads, reader.builds]).toEqual([1, 1]);
  });
});

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
