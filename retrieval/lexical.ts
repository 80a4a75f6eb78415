import type { Db, Store } from '../store/index.ts';
import { type Bm25Index, type Bm25Params, buildBm25Index, DEFAULT_BM25 } from './bm25-index.ts';
import { type Bm25Persistence, createBm25Persistence, type PersistedEntry } from './bm25-persist.ts';

/**
 * In-memory BM25 indexes, one per collection, derived from SQLite's chunk search fields and kept
 * fresh: a query first checks whether the database changed at all (PRAGMA data_version for other
 * connections, total_changes() for this one: two tiny reads), and only then whether this
 * collection's chunks changed (count and max rowid; chunk rowids are AUTOINCREMENT and chunks are
 * replaced, never updated in place, so any change moves one of them). A changed collection is
 * caught up on its next query (new rowids appended, missing ones removed), or rebuilt once the
 * changes since its last build are large.
 *
 * With a data folder, each index is also saved there (bm25-persist.ts) and the first query of a
 * process loads the file and catches it up instead of analyzing every chunk again; a file that is
 * missing, damaged, made with other params or from another database (a cairn.db deleted or
 * replaced while indexes/ was kept: its stamp may match by chance) is rebuilt. The database stays
 * the source of truth.
 */
export interface LexicalIndexCache {
  /** The collection's index, caught up (or rebuilt) if its chunks changed since last seen. */
  get(store: Store, collectionId: string): Bm25Index;
  /** Forgets one collection's index (or all), e.g. after the collection is deleted. */
  invalidate(collectionId?: string): void;
  /** Forgets the collection's index and deletes its saved file (the collection is gone). */
  drop(collectionId: string): void;
  /**
   * Loads (and catches up) the saved indexes of these collections, one per macrotask, so the first
   * query does not pay for it; collections without a file are left to their first query.
   */
  warm(store: Store, collectionIds: string[]): Promise<void>;
  /** Saves what is not saved yet; resolves when written. */
  close(): Promise<void>;
  /** How many times an index was built from scratch, caught up, loaded from its file and saved to it: lets tests and benchmarks see the cache work. */
  readonly builds: number;
  readonly catchUps: number;
  readonly loads: number;
  readonly saves: number;
}

export interface LexicalCacheOptions {
  params?: Bm25Params;
  /**
   * Rebuild instead of catching up once changes since the last build exceed this fraction of it:
   * catching up keeps the statistics (N, df, average length) of the last build, so they drift.
   */
  maxDrift?: number;
  /** The data folder: indexes are saved under indexes/<collection>/bm25.bin and loaded from there. None: memory only. */
  dataDir?: string;
  /** A catch-up saves once this many changes (or a tenth of the index, if more) are not in the file. */
  saveAfterChanges?: number;
  /** Saves wait this long after the change that asks for one, so a burst of writes saves once. */
  saveDelayMs?: number;
  /** Told when a file is ignored or a save fails (searches are unaffected). */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
  /**
   * Where warm-ups get a file's bytes: one SharedArrayBuffer per file for the whole process (the
   * search pool's), so every search worker views the same postings instead of holding a copy.
   */
  sharedBytes?: (file: string) => Promise<Uint8Array | null>;
}

interface DbState {
  dbStamp: string;
  entries: Map<string, PersistedEntry>;
}

/** Changes made to bring an index up to date with the collection's chunks; -1 when a rebuild is the better deal. */
function catchUp(store: Store, collectionId: string, index: Bm25Index, count: number, maxDrift: number): number {
  const appended = [...store.chunks.iterateSearchFields(collectionId, index.maxRowid)];
  if (appended.length > maxDrift * Math.max(1, index.size)) return -1;
  let removed: number[] = [];
  if (count !== index.size + appended.length) {
    const current = new Set(store.chunks.rowidsUpTo(collectionId, index.maxRowid));
    removed = index.rowids().filter((rowid) => !current.has(rowid));
    index.remove(removed);
  }
  index.append(appended);
  return index.drift() <= maxDrift ? appended.length + removed.length : -1;
}

export function createLexicalIndexCache(options: LexicalCacheOptions = {}): LexicalIndexCache {
  const params = options.params ?? DEFAULT_BM25;
  const maxDrift = options.maxDrift ?? 0.25;
  const persist: Bm25Persistence | null = options.dataDir
    ? createBm25Persistence({
        dataDir: options.dataDir,
        params,
        saveAfterChanges: options.saveAfterChanges ?? 10_000,
        saveDelayMs: options.saveDelayMs ?? 2_000,
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        ...(options.sharedBytes ? { sharedBytes: options.sharedBytes } : {}),
      })
    : null;
  const states = new Map<Db, DbState>();
  let builds = 0;
  let catchUps = 0;

  function stateOf(db: Db): DbState {
    let state = states.get(db);
    if (!state) {
      for (const other of states.keys()) if (!other.open) states.delete(other);
      state = { dbStamp: '', entries: new Map() };
      states.set(db, state);
    }
    return state;
  }

  /** The entry in memory, else the saved one (then compared with the database like any other). */
  function known(state: DbState, store: Store, collectionId: string): PersistedEntry | undefined {
    const entry = state.entries.get(collectionId);
    if (entry || !persist) return entry;
    const loaded = persist.load(collectionId, store.id);
    if (loaded) state.entries.set(collectionId, loaded);
    return loaded ?? undefined;
  }

  function get(store: Store, collectionId: string): Bm25Index {
    const state = stateOf(store.db);
    const dbStamp = databaseStamp(store.db);
    let entry = state.entries.get(collectionId);
    if (entry && dbStamp === state.dbStamp) return entry.index;
    state.dbStamp = dbStamp;
    entry = known(state, store, collectionId);
    const stamp = store.chunks.changeStamp(collectionId);
    if (entry && entry.stamp.count === stamp.count && entry.stamp.maxRowid === stamp.maxRowid) return entry.index;
    const moved = entry ? catchUp(store, collectionId, entry.index, stamp.count, maxDrift) : -1;
    if (entry && moved >= 0) {
      catchUps++;
      Object.assign(entry, { stamp, unsaved: entry.unsaved + moved });
      persist?.changed(collectionId, entry);
      return entry.index;
    }
    const index = buildBm25Index(store.chunks.iterateSearchFields(collectionId), params);
    builds++;
    const built = { storeId: store.id, index, stamp, unsaved: index.size, rebuilt: true };
    state.entries.set(collectionId, built);
    persist?.changed(collectionId, built);
    return index;
  }

  function invalidate(collectionId?: string): void {
    for (const state of states.values()) {
      if (collectionId === undefined) state.entries.clear();
      else state.entries.delete(collectionId);
    }
  }

  async function warm(store: Store, collectionIds: string[]): Promise<void> {
    for (const collectionId of collectionIds) {
      // One collection per macrotask: searches that arrive meanwhile are answered in between.
      await new Promise((resolve) => setImmediate(resolve));
      if (!persist?.exists(collectionId) || stateOf(store.db).entries.has(collectionId) || !store.db.open) continue;
      try {
        const loaded = await persist.loadShared(collectionId, store.id);
        // A query may have loaded or built it while the bytes were on their way.
        const state = stateOf(store.db);
        if (loaded && !state.entries.has(collectionId)) {
          state.entries.set(collectionId, loaded);
          // Not yet compared with the collection's chunks: the next get must look.
          state.dbStamp = '';
        }
        if (store.db.open) get(store, collectionId);
      } catch (error) {
        options.onWarning?.('bm25 index warm-up failed', { collectionId, error: (error as Error).message });
      }
    }
  }

  return {
    get,
    invalidate,
    drop(collectionId) {
      invalidate(collectionId);
      persist?.drop(collectionId);
    },
    warm,
    close: async () => persist?.flush(),
    get builds() {
      return builds;
    },
    get catchUps() {
      return catchUps;
    },
    get loads() {
      return persist?.loads ?? 0;
    },
    get saves() {
      return persist?.saves ?? 0;
    },
  };
}

const stampStatements = new WeakMap<Db, { version: () => unknown; changes: () => unknown }>();

function databaseStamp(db: Db): string {
  let s = stampStatements.get(db);
  if (!s) {
    const version = db.prepare('PRAGMA data_version').pluck();
    const changes = db.prepare('SELECT total_changes()').pluck();
    s = { version: () => version.get(), changes: () => changes.get() };
    stampStatements.set(db, s);
  }
  return `${s.version()}:${s.changes()}`;
}
