import type { ApiKeysRepo } from './api-keys.ts';
import type { ChatsRepo } from './chats.ts';
import type { ChunksRepo, VectorsRepo } from './chunks.ts';
import type { CollectionsRepo } from './collections.ts';
import type { DocumentsRepo } from './documents.ts';
import type { FeedbackRepo } from './feedback.ts';
import type { IdempotencyRepo } from './idempotency.ts';
import type { JobsRepo } from './jobs.ts';

/**
 * The store contract: what every backend (embedded SQLite, PostgreSQL + pgvector) provides to the
 * rest of Cairn. It is the SQLite repos' shape with every method returning a promise, because a
 * server on PostgreSQL must not block its event loop on a round trip. The SQLite backend wraps
 * its synchronous repos (they stay the fast path for the embedded index, which reads them from
 * worker threads); the PostgreSQL backend implements the same methods over a connection pool.
 *
 * Left out on purpose: the change log and rowid scans that feed the embedded ANN and in-memory
 * BM25 indexes (`rowidsUpTo`, `changeStamp`, `removals`, `iterateSearchFields`, `getByRowid`,
 * `lastChange`, `changeFloor`, `pruneChanges`, `forgetCollection`, `changesSince`, `page`, `lastRowid`) and data
 * tables: on PostgreSQL, search runs inside the database, so no instance keeps such an index.
 */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};

/** The embedded-index feeds: SQLite only (see above). */
export type EmbeddedOnlyChunkMethods = 'rowidsUpTo' | 'changeStamp' | 'removals' | 'iterateSearchFields' | 'getByRowid';
export type EmbeddedOnlyVectorMethods =
  | 'lastChange'
  | 'changeFloor'
  | 'pruneChanges'
  | 'forgetCollection'
  | 'changesSince'
  | 'page'
  | 'lastRowid';

export type StoreBackendKind = 'sqlite' | 'postgres';

export interface StoreContract {
  readonly kind: StoreBackendKind;
  collections: Async<CollectionsRepo>;
  documents: Async<DocumentsRepo>;
  chunks: Async<Omit<ChunksRepo, EmbeddedOnlyChunkMethods>>;
  vectors: Async<Omit<VectorsRepo, EmbeddedOnlyVectorMethods>>;
  jobs: Async<JobsRepo>;
  apiKeys: Async<ApiKeysRepo>;
  chats: Async<ChatsRepo>;
  idempotency: Async<IdempotencyRepo>;
  feedback: Async<FeedbackRepo>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
