import type { Db, Store } from '../store/index.ts';
import { type Bm25Index, type Bm25Params, buildBm25Index, DEFAULT_BM25 } from './bm25-index.ts';

/**
 * In-memory BM25 indexes, one per collection, derived from SQLite's chunk search fields and kept
 * fresh: a query first checks whether the database changed at all (PRAGMA data_version for other
 * connections, total_changes() for this one: two tiny reads), and only then whether this
 * collection's chunks changed (count and max rowid; chunk rowids are AUTOINCREMENT and chunks are
 * replaced, never updated in place, so any change moves one of them). A changed collection is
 * caught up on its next query (new rowids appended, missing ones removed), or rebuilt once the
 * changes since its last build are large.
 */
export interface LexicalIndexCache {
  /** The collection's index, caught up (or rebuilt) if its chunks changed since last seen. */
  get(store: Store, collectionId: string): Bm25Index;
  /** Forgets one collection's index (or all), e.g. after the collection is deleted. */
  invalidate(collectionId?: string): void;
  /** How many times an index was built from scratch, and caught up: lets tests and benchmarks see the cache work. */
  readonly builds: number;
  readonly catchUps: number;
}

export interface LexicalCacheOptions {
  params?: Bm25Params;
  /**
   * Rebuild instead of catching up once changes since the last build exceed this fraction of it:
   * catching up keeps the statistics (N, df, average length) of the last build, so they drift.
   */
  maxDrift?: number;
}

interface Entry {
  index: Bm25Index;
  stamp: string;
}

interface DbState {
  dbStamp: string;
  entries: Map<string, Entry>;
}

/** Brings an index up to date with the collection's chunks; false when a rebuild is the better deal. */
function catchUp(store: Store, collectionId: string, index: Bm25Index, count: number, maxDrift: number): boolean {
  const appended = [...store.chunks.iterateSearchFields(collectionId, index.maxRowid)];
  if (appended.length > maxDrift * Math.max(1, index.size)) return false;
  if (count !== index.size + appended.length) {
    const current = new Set(store.chunks.rowidsUpTo(collectionId, index.maxRowid));
    index.remove(index.rowids().filter((rowid) => !current.has(rowid)));
  }
  index.append(appended);
  return index.drift() <= maxDrift;
}

export function createLexicalIndexCache(options: LexicalCacheOptions = {}): LexicalIndexCache {
  const params = options.params ?? DEFAULT_BM25;
  const maxDrift = options.maxDrift ?? 0.25;
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

  function get(store: Store, collectionId: string): Bm25Index {
    const state = stateOf(store.db);
    const dbStamp = databaseStamp(store.db);
    const entry = state.entries.get(collectionId);
    if (entry && dbStamp === state.dbStamp) return entry.index;
    state.dbStamp = dbStamp;
    const { count, maxRowid } = store.chunks.changeStamp(collectionId);
    const stamp = `${count}:${maxRowid}`;
    if (entry && entry.stamp === stamp) return entry.index;
    if (entry && catchUp(store, collectionId, entry.index, count, maxDrift)) {
      catchUps++;
      entry.stamp = stamp;
      return entry.index;
    }
    const index = buildBm25Index(store.chunks.iterateSearchFields(collectionId), params);
    builds++;
    state.entries.set(collectionId, { index, stamp });
    return index;
  }

  function invalidate(collectionId?: string): void {
    for (const state of states.values()) {
      if (collectionId === undefined) state.entries.clear();
      else state.entries.delete(collectionId);
    }
  }

  return {
    get,
    invalidate,
    get builds() {
      return builds;
    },
    get catchUps() {
      return catchUps;
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
