import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseFile, loadMigrations, migrate, openStore, schemaVersion } from '../../store/index.ts';

/** Migration 0008: each database gets a random id once, which index files record (see indexer/ann, retrieval/bm25). */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-store-id-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ID = /^[0-9a-f]{32}$/;

function storedIds(db: Database.Database): unknown[] {
  return db.prepare('SELECT key, value FROM store_meta').all();
}

describe('store id (migration 0008)', () => {
  it('a fresh database gets one random id, stable across reopening', () => {
    const first = openStore({ dataDir: dir });
    const id = first.id;
    expect([ID.test(id), first.schemaVersion() >= 8, storedIds(first.db)]).toEqual([
      true,
      true,
      [{ key: 'store_id', value: id }],
    ]);
    first.close();
    const again = openStore({ dataDir: dir });
    expect([again.id, storedIds(again.db)]).toEqual([id, [{ key: 'store_id', value: id }]]);
    again.close();
  });

  it('two databases get different ids (one deleted and made again included)', () => {
    const a = openStore({ file: ':memory:' });
    const b = openStore({ file: ':memory:' });
    expect(a.id === b.id).toBe(false);
    const before = openStore({ dataDir: dir });
    before.close();
    rmSync(databaseFile(dir));
    const after = openStore({ dataDir: dir });
    expect([ID.test(after.id), after.id === before.id]).toEqual([true, false]);
    for (const store of [a, b, after]) store.close();
  });

  it('a database at version 0007 is migrated: the id is added once and kept', () => {
    const file = databaseFile(dir);
    const old = new Database(file);
    expect(
      migrate(
        old,
        loadMigrations().filter((m) => m.version <= 7),
      ),
    ).toBe(7);
    old.prepare("INSERT INTO collections (id, name, settings, created_at, updated_at) VALUES ('kb', 'kb', '{}', 'x', 'x')").run();
    old.close();
    const store = openStore({ dataDir: dir });
    const id = store.id;
    expect([schemaVersion(store.db) >= 8, ID.test(id), storedIds(store.db), store.collections.get('kb')?.id]).toEqual([
      true,
      true,
      [{ key: 'store_id', value: id }],
      'kb',
    ]);
    store.close();
    const again = openStore({ dataDir: dir });
    expect(again.id).toBe(id);
    again.close();
  });

  it('a database kept below 0008 (its own migration list) gets a fresh id per open, never matching a file', () => {
    const migrations = loadMigrations().filter((m) => m.version <= 7);
    const first = openStore({ dataDir: dir, migrations });
    const second = openStore({ dataDir: dir, migrations });
    expect([first.id.startsWith('unsaved-'), first.id === second.id]).toEqual([true, false]);
    first.close();
    second.close();
  });
});
