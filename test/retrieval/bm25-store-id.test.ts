import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectionFolder } from '../../indexer/ann/index.ts';
import { readBm25Header } from '../../retrieval/bm25-file.ts';
import { createLexicalIndexCache, type LexicalIndexCache } from '../../retrieval/index.ts';
import { databaseFile, openStore, type Store } from '../../store/index.ts';
import { addDocument } from './helpers.ts';

/**
 * The BM25 file kept in <dataDir>/indexes/ while cairn.db is deleted and made again: the new
 * database's collection of the same name reaches the same change stamp (count, max rowid) with
 * other text, so only the store id in the file's header tells the old index apart.
 */
let dataDir: string;
const stores: Store[] = [];
const warnings: Record<string, unknown>[] = [];

const OLD = ['apple river stone', 'tiger violin harbor', 'lantern copper meadow', 'falcon pepper glacier'];
const NEW = ['zebra okapi', 'okapi quartz', 'quartz nebula zebra', 'nebula walrus'];

function open(texts: string[]): Store {
  const store = openStore({ dataDir });
  stores.push(store);
  for (const [i, text] of texts.entries()) addDocument(store, 'kb', { source: `d${i}.txt`, chunks: [text] });
  return store;
}

const cache = () => createLexicalIndexCache({ dataDir, saveDelayMs: 60_000, onWarning: (_, details) => warnings.push(details) });
const fileOf = () => path.join(collectionFolder(dataDir, 'kb'), 'bm25.bin');

/** Closes the store and deletes its database files, keeping indexes/ (the "reset" users do). */
function deleteDatabase(store: Store): void {
  store.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${databaseFile(dataDir)}${suffix}`, { force: true });
}

/** The chunks a query finds, as their text, best first. */
function found(lexical: LexicalIndexCache, store: Store, query: string): string[] {
  const text = store.db.prepare('SELECT text FROM chunks WHERE rowid = ?').pluck();
  return lexical
    .get(store, 'kb')
    .search(query, 10)
    .map((hit) => text.get(hit.rowid) as string);
}

async function savedByOldDatabase(): Promise<Store> {
  const old = open(OLD);
  const writer = cache();
  expect(found(writer, old, 'tiger')).toEqual(['tiger violin harbor']);
  await writer.close();
  expect([writer.saves, readBm25Header(fileOf())?.storeId]).toEqual([1, old.id]);
  deleteDatabase(old);
  return old;
}

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-bm25-store-'));
  warnings.length = 0;
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('BM25 index file and the database it was built from', () => {
  it('ignores a file left by a deleted database with the same stamp and rebuilds from the new text', async () => {
    const old = await savedByOldDatabase();
    const store = open(NEW);
    // The dangerous case: another database, same stamp as the saved file.
    expect([store.id === old.id, store.chunks.changeStamp('kb')]).toEqual([false, readBm25Header(fileOf())?.stamp]);
    const reader = cache();
    expect(found(reader, store, 'zebra')).toEqual(['zebra okapi', 'quartz nebula zebra']);
    expect(found(reader, store, 'tiger')).toEqual([]);
    expect([reader.loads, reader.builds]).toEqual([0, 1]);
    expect(warnings).toEqual([{ collectionId: 'kb', reason: 'mismatch', detail: 'another database' }]);
    await reader.close();
    expect([reader.saves, readBm25Header(fileOf())?.storeId]).toEqual([1, store.id]);
    // Saved under the new id: the next start loads it.
    const again = cache();
    expect(found(again, store, 'walrus')).toEqual(['nebula walrus']);
    expect([again.loads, again.builds, warnings.length]).toEqual([1, 0, 1]);
  });

  it('warm-ups skip the foreign file the same way', async () => {
    await savedByOldDatabase();
    const store = open(NEW);
    const reader = cache();
    await reader.warm(store, ['kb']);
    expect([reader.loads, reader.builds, warnings]).toEqual([
      0,
      1,
      [{ collectionId: 'kb', reason: 'mismatch', detail: 'another database' }],
    ]);
    expect(found(reader, store, 'nebula')).toEqual(['nebula walrus', 'quartz nebula zebra']);
  });

  it('a save replaces a foreign file even when its stamp is ahead (never taken as current)', async () => {
    await savedByOldDatabase();
    const foreign = readFileSync(fileOf());
    rmSync(fileOf());
    // A smaller new database, built while no file was there; the old file comes back before the save.
    const store = open(NEW.slice(0, 2));
    const writer = cache();
    expect(found(writer, store, 'quartz')).toEqual(['okapi quartz']);
    writeFileSync(fileOf(), foreign);
    expect(readBm25Header(fileOf())?.stamp.maxRowid).toBeGreaterThan(store.chunks.changeStamp('kb').maxRowid);
    await writer.close();
    expect([writer.saves, readBm25Header(fileOf())?.storeId, readBm25Header(fileOf())?.stamp]).toEqual([
      1,
      store.id,
      store.chunks.changeStamp('kb'),
    ]);
  });
});
