import { randomBytes } from 'node:crypto';
import { createApiKeysRepo } from './api-keys.ts';
import { createChatsRepo } from './chats.ts';
import { createChunksRepo, createVectorsRepo } from './chunks.ts';
import { createCollectionsRepo } from './collections.ts';
import { type Db, databaseFile, ensureDataDir, type Migration, openDatabase, schemaVersion } from './database.ts';
import { createDocumentsRepo } from './documents.ts';
import { createIdempotencyRepo } from './idempotency.ts';
import { createJobsRepo } from './jobs.ts';
import { createTablesRepo } from './tables.ts';

export type { ApiKeysRepo } from './api-keys.ts';
export { hashKey } from './api-keys.ts';
export type { ChatsRepo } from './chats.ts';
export type { ChunksRepo, StoredVector, VectorsRepo } from './chunks.ts';
export type { CollectionsRepo, CreateCollectionInput } from './collections.ts';
export { COLLECTION_NAME, DEFAULT_SETTINGS } from './collections.ts';
export type { Async, StoreBackendKind, StoreContract } from './contract.ts';
export type { Db, Migration } from './database.ts';
export { databaseFile, ensureDataDir, latestVersion, loadMigrations, migrate, openDatabase, schemaVersion } from './database.ts';
export type { DocumentsRepo, ListDocumentsOptions, NewChunk, NewDocument, NewVectors, WriteResult } from './documents.ts';
export { blobToVector, vectorToBlob } from './documents.ts';
export type { IdempotencyRecord, IdempotencyRepo } from './idempotency.ts';
export { IDEMPOTENCY_TTL_MS } from './idempotency.ts';
export type { JobsRepo } from './jobs.ts';
export { asyncRepo, createSqliteContract, sqliteDeps } from './sqlite-contract.ts';
export type { DataTable, DataTableColumn, NewDataTable, TableColumnType, TablesRepo } from './tables.ts';

export interface Store {
  db: Db;
  file: string;
  /**
   * This database's random id (migration 0008), read once at open: index files under
   * <dataDir>/indexes/ record it, so files left from a deleted or replaced database are rebuilt.
   */
  id: string;
  collections: ReturnType<typeof createCollectionsRepo>;
  documents: ReturnType<typeof createDocumentsRepo>;
  chunks: ReturnType<typeof createChunksRepo>;
  vectors: ReturnType<typeof createVectorsRepo>;
  jobs: ReturnType<typeof createJobsRepo>;
  apiKeys: ReturnType<typeof createApiKeysRepo>;
  chats: ReturnType<typeof createChatsRepo>;
  idempotency: ReturnType<typeof createIdempotencyRepo>;
  tables: ReturnType<typeof createTablesRepo>;
  schemaVersion(): number;
  close(): void;
}

export interface OpenStoreOptions {
  /** The data folder; the database is `<dataDir>/cairn.db`. */
  dataDir?: string;
  /** Or an explicit database file (':memory:' for tests). */
  file?: string;
  migrations?: Migration[];
}

/**
 * The id migration 0008 stored. A database opened with its own migration list that stops before
 * 0008 (tests of old versions) has none: it gets a fresh id per open, so no index file is ever
 * taken as its own.
 */
function readStoreId(db: Db): string {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'").get();
  const row = hasTable
    ? (db.prepare("SELECT value FROM store_meta WHERE key = 'store_id'").get() as { value: string } | undefined)
    : undefined;
  return row?.value ?? `unsaved-${randomBytes(16).toString('hex')}`;
}

export function openStore(options: OpenStoreOptions): Store {
  let file = options.file;
  if (!file) {
    if (!options.dataDir) throw new Error('openStore needs dataDir or file');
    ensureDataDir(options.dataDir);
    file = databaseFile(options.dataDir);
  }
  const db = openDatabase(options.migrations ? { file, migrations: options.migrations } : { file });
  return {
    db,
    file,
    id: readStoreId(db),
    collections: createCollectionsRepo(db),
    documents: createDocumentsRepo(db),
    chunks: createChunksRepo(db),
    vectors: createVectorsRepo(db),
    jobs: createJobsRepo(db),
    apiKeys: createApiKeysRepo(db),
    chats: createChatsRepo(db),
    idempotency: createIdempotencyRepo(db),
    tables: createTablesRepo(db),
    schemaVersion: () => schemaVersion(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}
