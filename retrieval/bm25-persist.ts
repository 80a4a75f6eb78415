import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { collectionFolder, leaseFile, tryAcquireLease } from '../indexer/ann/index.ts';
import {
  BM25_FILE_FORMAT,
  type Bm25FileRead,
  bm25FileName,
  bm25HeaderMismatch,
  type ChunkStamp,
  decodeBm25File,
  encodeBm25File,
  readBm25File,
  readBm25Header,
  writeFileAtomically,
} from './bm25-file.ts';
import { type Bm25Index, type Bm25Params, openBm25Index } from './bm25-index.ts';

/**
 * Saving and loading the lexical cache's indexes (lexical.ts), the way the ANN indexes are kept:
 * one file per collection beside its vector indexes (<dataDir>/indexes/<collection>/bm25.bin),
 * written off the search path (debounced, after a build or enough catch-ups, and on close), by one
 * writer at a time across threads and processes (the ANN build lease), into a temporary file
 * renamed into place. A writer whose state the file already holds does not write again.
 */
export interface PersistedEntry {
  /** The database (Store.id) the index was built from: the file is saved under it. */
  storeId: string;
  index: Bm25Index;
  stamp: ChunkStamp;
  /** Chunks appended or removed since the file was written. */
  unsaved: number;
  /** Built from scratch since the last save: always worth a save. */
  rebuilt: boolean;
}

export interface Bm25PersistOptions {
  dataDir: string;
  params: Bm25Params;
  /** A catch-up saves once this many changes, or a tenth of the index if more, are not in the file. */
  saveAfterChanges: number;
  saveDelayMs: number;
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /**
   * A file's bytes held once for the whole process (a SharedArrayBuffer from the server's thread),
   * so search workers view one copy instead of reading their own; null: read it here.
   */
  sharedBytes?: (file: string) => Promise<Uint8Array | null>;
}

export interface Bm25Persistence {
  /**
   * The saved index with the stamp it holds, or null (none, or unusable: then the caller builds).
   * A file built from another database (storeId) is unusable, whatever its stamp.
   */
  load(collectionId: string, storeId: string): PersistedEntry | null;
  /** As load, through sharedBytes when given (a warm-up: it may wait for the bytes). */
  loadShared(collectionId: string, storeId: string): Promise<PersistedEntry | null>;
  exists(collectionId: string): boolean;
  /** Called after every build or catch-up: schedules a save when the file is far enough behind. */
  changed(collectionId: string, entry: PersistedEntry): void;
  /** Cancels pending saves and removes the file (a deleted collection). */
  drop(collectionId: string): void;
  /** Saves every entry with unsaved changes now (a clean close, tests). */
  flush(): Promise<void>;
  readonly loads: number;
  readonly saves: number;
}

/** Which file is there (size, mtime, inode): tells whether an ignored file was replaced since. */
function signature(file: string): string {
  try {
    const { size, mtimeMs, ino } = statSync(file);
    return `${size}:${mtimeMs}:${ino}`;
  } catch {
    return '';
  }
}

/** Temporary files of saves that never finished (a writer killed mid-save); only the lease holder may remove them. */
function removeTemporaries(folder: string): void {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) {
    if (name.startsWith('bm25.bin.tmp-')) rmSync(path.join(folder, name), { force: true });
  }
}

export function createBm25Persistence(options: Bm25PersistOptions): Bm25Persistence {
  const { dataDir, params } = options;
  const pending = new Map<string, PersistedEntry>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Map<string, Promise<void>>();
  const dropped = new Map<string, number>();
  /**
   * Collections whose file failed to load, with that file's signature: never taken as current,
   * whatever its header says, and not read (nor warned about) again until the file changes.
   */
  const distrusted = new Map<string, string>();
  let loads = 0;
  let saves = 0;

  const folderOf = (collectionId: string) => collectionFolder(dataDir, collectionId);
  const fileOf = (collectionId: string) => bm25FileName(folderOf(collectionId));
  const warn = (message: string, details: Record<string, unknown>) => options.onWarning?.(message, details);

  /** The file ignored before, unchanged: a warm-up and the query after it warn once, not twice. */
  const ignoredBefore = (collectionId: string, seen: string) => distrusted.get(collectionId) === seen;

  function load(collectionId: string, storeId: string): PersistedEntry | null {
    const file = fileOf(collectionId);
    const seen = signature(file);
    if (ignoredBefore(collectionId, seen)) return null;
    return adopt(collectionId, storeId, seen, readBm25File(file, { params, storeId, collectionId }));
  }

  async function loadShared(collectionId: string, storeId: string): Promise<PersistedEntry | null> {
    const file = fileOf(collectionId);
    const seen = signature(file);
    if (ignoredBefore(collectionId, seen)) return null;
    const bytes = options.sharedBytes ? await options.sharedBytes(file) : null;
    if (!bytes) return load(collectionId, storeId);
    return adopt(collectionId, storeId, seen, decodeBm25File(bytes, { params, storeId, collectionId }));
  }

  function adopt(collectionId: string, storeId: string, seen: string, read: Bm25FileRead): PersistedEntry | null {
    if (!read.ok) {
      if (read.reason === 'missing') return null;
      distrusted.set(collectionId, seen);
      warn('bm25 index file ignored; rebuilding', { collectionId, reason: read.reason, detail: read.detail });
      return null;
    }
    loads++;
    return { storeId, index: openBm25Index(read.snapshot), stamp: read.stamp, unsaved: 0, rebuilt: false };
  }

  function worthSaving(entry: PersistedEntry): boolean {
    if (entry.unsaved === 0 && !entry.rebuilt) return false;
    return entry.rebuilt || entry.unsaved >= Math.max(options.saveAfterChanges, entry.index.size / 10);
  }

  function changed(collectionId: string, entry: PersistedEntry): void {
    pending.set(collectionId, entry);
    if (!worthSaving(entry) || timers.has(collectionId)) return;
    const timer = setTimeout(() => {
      timers.delete(collectionId);
      void saveSoon(collectionId);
    }, options.saveDelayMs);
    // A pending save never keeps a process alive: close() flushes it.
    timer.unref();
    timers.set(collectionId, timer);
  }

  /** One save per collection at a time in this cache; the lease orders writers across caches. */
  function saveSoon(collectionId: string): Promise<void> {
    const previous = inFlight.get(collectionId) ?? Promise.resolve();
    const next = previous.then(() => save(collectionId));
    inFlight.set(collectionId, next);
    return next.finally(() => {
      if (inFlight.get(collectionId) === next) inFlight.delete(collectionId);
    });
  }

  /**
   * Another writer already saved this state, or a newer one: ours would add nothing. A file of
   * another database is never current, however far its stamp is ahead.
   */
  function fileIsCurrent(file: string, owner: { storeId: string; collectionId: string }, stamp: ChunkStamp): boolean {
    const header = readBm25Header(file);
    if (!header || header.format !== BM25_FILE_FORMAT || bm25HeaderMismatch(header, { params, ...owner })) return false;
    const same = header.stamp.count === stamp.count && header.stamp.maxRowid === stamp.maxRowid;
    return same || header.stamp.maxRowid > stamp.maxRowid;
  }

  async function save(collectionId: string): Promise<void> {
    const entry = pending.get(collectionId);
    if (!entry || (entry.unsaved === 0 && !entry.rebuilt)) return;
    const generation = dropped.get(collectionId) ?? 0;
    const file = fileOf(collectionId);
    const lease = tryAcquireLease(leaseFile(folderOf(collectionId), 'bm25'));
    // Another thread or process is writing this file; the next change (or close) tries again.
    if (!lease) return;
    removeTemporaries(folderOf(collectionId));
    try {
      const stamp = { ...entry.stamp };
      const unsaved = entry.unsaved;
      const owner = { storeId: entry.storeId, collectionId };
      if (distrusted.has(collectionId) || !fileIsCurrent(file, owner, stamp)) {
        const parts = encodeBm25File(entry.index.snapshot(), owner, stamp);
        if (!parts) return;
        await writeFileAtomically(file, parts);
        distrusted.delete(collectionId);
        saves++;
      }
      // Dropped while writing: the file must not outlive the collection.
      if ((dropped.get(collectionId) ?? 0) !== generation) rmSync(file, { force: true });
      entry.unsaved -= unsaved;
      entry.rebuilt = false;
    } catch (error) {
      warn('bm25 index save failed', { collectionId, error: (error as Error).message });
    } finally {
      lease.release();
    }
  }

  return {
    load,
    loadShared,
    exists: (collectionId) => existsSync(fileOf(collectionId)),
    changed,
    drop(collectionId) {
      clearTimeout(timers.get(collectionId));
      timers.delete(collectionId);
      pending.delete(collectionId);
      dropped.set(collectionId, (dropped.get(collectionId) ?? 0) + 1);
      rmSync(fileOf(collectionId), { force: true });
    },
    async flush() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      for (const collectionId of pending.keys()) await saveSoon(collectionId);
    },
    get loads() {
      return loads;
    },
    get saves() {
      return saves;
    },
  };
}
