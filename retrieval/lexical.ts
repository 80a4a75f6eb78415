import type { Db, Store } from '../store/index.ts';
import { type Bm25Index, type Bm25Params, buildBm25Index, DEFAULT_BM25 } from './bm25-index.ts';

/**
 * In-memory BM25 indexes, one per collection, derived from SQLite's chunk search fields and kept
 * fresh: a query first checks whether the database changed at all (PRAGMA data_version for other
 * connections, total_changes() for this one: two tiny reads), and only then whether this
 * collection's chunks changed (count and max rowid; chunk rowids are AUTOINCREMENT and chunks are
 * replaced, never updated in place, so any change moves one of them). A changed collection is
 * rebuilt on its next query.
 */
export interface LexicalIndexCache {
  /** The collection's index, built or rebuilt if its chunks changed since it was built. */
  get(store: Store, collectionId: string): Bm25Index;
  /** Forgets one collection's index (or all), e.g. after the collection is deleted. */
  invalidate(collectionId?: string): void;
  /** How many times an index was built: lets tests and benchmarks see the cache work. */
  readonly builds: number;
}

interface Entry {
  index: Bm25Index;
  stamp: string;
}

interface DbState {
  dbStamp: string;
  entries: Map<string, Entry>;
}

export function createLexicalIndexCache(options: { params?: Bm25Params } = {}): LexicalIndexCache {
  const params = options.params ?? DEFAULT_BM25;
  const states = new Map<Db, DbState>();
  let builds = 0;

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
