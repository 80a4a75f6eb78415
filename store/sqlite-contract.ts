import type { Async, StoreContract } from './contract.ts';
import { createFeedbackRepo } from './feedback.ts';
import type { Store } from './index.ts';

/**
 * Each method of a synchronous repo as an async one. A throw becomes a rejection, as it would be
 * on PostgreSQL, so callers handle errors the same way on both backends.
 */
export function asyncRepo<T extends object>(repo: T): Async<T> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repo)) {
    out[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(repo, args)
        : value;
  }
  return out as Async<T>;
}

/** The embedded SQLite store seen through the store contract (the synchronous repos stay on `store`). */
export function createSqliteContract(store: Store): StoreContract {
  return {
    kind: 'sqlite',
    collections: asyncRepo(store.collections),
    documents: asyncRepo(store.documents),
    chunks: asyncRepo(store.chunks),
    vectors: asyncRepo(store.vectors),
    jobs: asyncRepo(store.jobs),
    apiKeys: asyncRepo(store.apiKeys),
    chats: asyncRepo(store.chats),
    idempotency: asyncRepo(store.idempotency),
    feedback: asyncRepo(createFeedbackRepo(store.db)),
    schemaVersion: async () => store.schemaVersion(),
    close: async () => store.close(),
  };
}

/** The `store` and `embedded` fields of a pipeline's deps, for a caller holding the embedded store. */
export function sqliteDeps(store: Store): { store: StoreContract; embedded: Store } {
  return { store: createSqliteContract(store), embedded: store };
}
