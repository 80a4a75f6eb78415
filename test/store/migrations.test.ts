import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { latestVersion, loadMigrations, type Migration, migrate, openStore, schemaVersion } from '../../store/index.ts';

/** The highest numbered file in migrations/ (0002_jobs.sql made it at least 2). */
const LATEST = latestVersion(loadMigrations());

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tables(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

describe('migrations', () => {
  it('builds a fresh database at the latest version with every table', () => {
    const store = openStore({ dataDir: dir });
    expect([LATEST >= 2, store.schemaVersion()]).toEqual([true, LATEST]);
    expect(tables(store.db)).toEqual(
      expect.arrayContaining([
        'api_keys',
        'chats',
        'chunks',
        'collections',
        'documents',
        'jobs',
        'messages',
        'vector_changes',
        'vectors',
      ]),
    );
    // 0003: nothing read chunks_fts, so it and its triggers are gone.
    expect(tables(store.db).filter((t) => t.startsWith('chunks_fts'))).toEqual([]);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'chunks_fts%'").all()).toEqual(
      [],
    );
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    store.close();
  });

  it('re-running migrations is a no-op', () => {
    const file = path.join(dir, 'cairn.db');
    openStore({ file }).close();
    const db = new Database(file);
    const before = tables(db);
    expect(migrate(db)).toBe(LATEST);
    expect(tables(db)).toEqual(before);
    db.close();
  });

  it('refuses a database from a newer Cairn, naming both versions', () => {
    const file = path.join(dir, 'cairn.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openStore({ file })).toThrow(`schema version 99, newer than this Cairn understands (${LATEST})`);
    try {
      openStore({ file });
    } catch (error) {
      expect(isCairnError(error, 'DB_NEWER_VERSION')).toBe(true);
    }
    const check = new Database(file);
    expect(schemaVersion(check)).toBe(99);
    expect(tables(check)).toEqual([]);
    check.close();
  });

  it('a migration that fails in the middle leaves the database at the old version', () => {
    const file = path.join(dir, 'cairn.db');
    const migrations: Migration[] = [
      ...loadMigrations(),
      {
        version: LATEST + 1,
        name: '9999_broken.sql',
        sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1);',
      },
    ];
    expect(() => openStore({ file, migrations })).toThrow(/Migration 9999_broken.sql failed: no such table: nowhere/);
    const db = new Database(file);
    expect(schemaVersion(db)).toBe(LATEST);
    expect(tables(db)).not.toContain('half_done');
    db.close();
  });

  it('reports a corrupt database file with DB_CORRUPT and leaves it untouched', () => {
    const file = path.join(dir, 'cairn.db');
    const garbage = Buffer.alloc(8192, 7);
    writeFileSync(file, garbage);
    let caught: unknown;
    try {
      openStore({ file });
    } catch (error) {
      caught = error;
    }
    expect(isCairnError(caught, 'DB_CORRUPT')).toBe(true);
    expect((caught as Error).message).toContain(file);
  });

  it('refuses a data folder that is a file with DATA_DIR_UNREADABLE', () => {
    const notDir = path.join(dir, 'file');
    writeFileSync(notDir, 'x');
    expect(() => openStore({ dataDir: notDir })).toThrow(`The data folder ${notDir} is not a folder`);
  });
});
