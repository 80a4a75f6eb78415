import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CairnError } from '../core/index.ts';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** The numbered SQL files of migrations/, in order. */
export function loadMigrations(dir: string | URL = MIGRATIONS_DIR): Migration[] {
  const folder = dir instanceof URL ? dir.pathname : dir;
  return readdirSync(folder)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(path.join(folder, file), 'utf8'),
    }));
}

export function latestVersion(migrations: Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies each pending migration in its own BEGIN IMMEDIATE transaction, re-reading user_version
 * inside it so two processes opening the same database never apply one twice.
 */
export function migrate(db: Db, migrations: Migration[] = loadMigrations()): number {
  const latest = latestVersion(migrations);
  const current = schemaVersion(db);
  if (current > latest) {
    throw new CairnError(
      'DB_NEWER_VERSION',
      `The database has schema version ${current}, newer than this Cairn understands (${latest}); upgrade Cairn`,
      { current, supported: latest },
    );
  }
  for (const migration of migrations) {
    db.exec('BEGIN IMMEDIATE');
    try {
      if (schemaVersion(db) >= migration.version) {
        db.exec('ROLLBACK');
        continue;
      }
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw new CairnError('DB_MIGRATION_FAILED', `Migration ${migration.name} failed: ${(error as Error).message}`, {
        migration: migration.name,
      });
    }
  }
  return schemaVersion(db);
}

export interface OpenDatabaseOptions {
  /** A file path, or ':memory:'. */
  file: string;
  readonly?: boolean;
  migrations?: Migration[];
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  const { file } = options;
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new CairnError('DATA_DIR_UNREADABLE', `Cannot open database ${file}: ${(error as Error).message}`, { file });
  }
  try {
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    if (!options.readonly) migrate(db, options.migrations);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof CairnError) throw error;
    const message = (error as Error).message;
    if (/not a database|malformed|file is encrypted/i.test(message)) {
      throw new CairnError('DB_CORRUPT', `The database file ${file} is corrupt or not a Cairn database (${message})`, {
        file,
      });
    }
    throw new CairnError('DATA_DIR_UNREADABLE', `Cannot open database ${file}: ${message}`, { file });
  }
}

/**
 * Checks the data folder before anything is written: it must be a writable folder, or a path whose
 * nearest existing parent is writable so that the folder can be created.
 */
export function ensureDataDir(dataDir: string): void {
  if (existsSync(dataDir)) {
    if (!statSync(dataDir).isDirectory()) {
      throw new CairnError('DATA_DIR_UNREADABLE', `The data folder ${dataDir} is not a folder`, { dataDir });
    }
    try {
      accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch {
      throw new CairnError('DATA_DIR_UNREADABLE', `The data folder ${dataDir} is not readable and writable`, { dataDir });
    }
    return;
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new CairnError('DATA_DIR_UNREADABLE', `Cannot create the data folder ${dataDir}: ${(error as Error).message}`, {
      dataDir,
    });
  }
}

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'cairn.db');
}
