import { isMainThread } from 'node:worker_threads';
import type { Config, Logger } from '../core/index.ts';
import { createAnnManager } from '../indexer/ann/index.ts';
import { createLexicalIndexCache, createSqliteRetrievers, type Retrievers } from '../retrieval/index.ts';
import { createPostgresRetrievers } from '../retrieval/postgres/retrievers.ts';
import type { StoreContract } from '../store/contract.ts';
import { openStore, type Store } from '../store/index.ts';
import { openConfiguredPostgresStore } from '../store/postgres/index.ts';
import { createSqliteContract } from '../store/sqlite-contract.ts';
import { createSharedJobs, type SharedJobs } from './jobs/shared.ts';
import { resolveSearchWorkers } from './search-pool.ts';
import type { ComponentStatus } from './services.ts';

/**
 * Where the data lives and how it is searched, chosen once from `store.url`: the embedded SQLite
 * store with in-process indexes (one process owns the data folder), or PostgreSQL, where search
 * runs in the database and jobs are shared, so any number of instances can serve one database.
 */
export interface Backend {
  store: StoreContract;
  /** The embedded store (originals, data tables, search workers); absent on PostgreSQL. */
  embedded?: Store;
  retrievers: Retrievers;
  /** Jobs claimed by whichever instance is free (PostgreSQL only). */
  shared?: SharedJobs;
  /** Forgets a deleted collection's in-process indexes (none on PostgreSQL). */
  dropIndex(collectionId: string): Promise<void>;
  describe(): { store: ComponentStatus; ann: ComponentStatus };
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Embedded ANN builds: in a worker thread (the server) or in the caller's (a one-shot CLI command). */
  annBuilds?: 'background' | 'inline';
  /**
   * Load the saved BM25 indexes of every collection in the background once open, so the first
   * query does not pay for it. Default: where searches are answered in a long-lived process (a
   * search worker, or the server's thread when it has none); a one-shot command loads only what it
   * searches, and a server's thread with search workers never holds a copy it would not use.
   */
  warmLexical?: boolean;
  /** Where BM25 warm-ups get a saved file's bytes: the search pool's one shared copy, in a search worker. */
  sharedBytes?: (file: string) => Promise<Uint8Array | null>;
  /** Told of the BM25 warm-up once it starts (it never rejects): a search worker holds searches until it is done. */
  onLexicalWarm?: (warming: Promise<void>) => void;
}

function warmsLexical(config: Config, options: BackendOptions): boolean {
  if (options.warmLexical !== undefined) return options.warmLexical;
  if (options.annBuilds === 'inline') return false;
  return !isMainThread || resolveSearchWorkers(config.server.searchWorkers) === 0;
}

function openSqliteBackend(config: Config, logger: Logger, options: BackendOptions): Backend {
  const embedded = openStore({ dataDir: config.dataDir });
  const ann = createAnnManager({
    store: embedded,
    dataDir: config.dataDir,
    config: config.index,
    logger,
    ...(options.annBuilds ? { builds: options.annBuilds } : {}),
  });
  // Saved in the data folder: every search worker (and the next start) loads the file instead of building its own.
  const lexical = createLexicalIndexCache({
    dataDir: config.dataDir,
    onWarning: (message, details) => logger.warn(message, details),
    ...(options.sharedBytes ? { sharedBytes: options.sharedBytes } : {}),
  });
  if (warmsLexical(config, options)) {
    const ids = embedded.collections.list().map((c) => c.id);
    const warming = new Promise<void>((resolve) => setImmediate(() => void lexical.warm(embedded, ids).finally(resolve)));
    options.onLexicalWarm?.(warming);
  }
  return {
    store: createSqliteContract(embedded),
    embedded,
    retrievers: createSqliteRetrievers({ store: embedded, ann, lexical }),
    async dropIndex(collectionId) {
      lexical.drop(collectionId);
      await ann.drop(collectionId);
    },
    describe: () => ({
      store: { available: true, detail: 'SQLite' },
      ann: { available: true, detail: `vector indexes: ${config.index.kind}` },
    }),
    async close() {
      await ann.close();
      // A clean close saves what a catch-up left unsaved (the next start loads it).
      await lexical.close();
      embedded.close();
    },
  };
}

/** The URL without its password, for /health and logs. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
}

export async function openBackend(config: Config, logger: Logger, options: BackendOptions = {}): Promise<Backend> {
  const pg = await openConfiguredPostgresStore(config);
  if (!pg) return openSqliteBackend(config, logger, options);
  return {
    store: pg,
    retrievers: createPostgresRetrievers({ pool: pg.pool, store: pg, pgvector: config.store.pgvector, logger }),
    shared: createSharedJobs({ pool: pg.pool, leases: pg.jobs, leaseMs: config.jobs.leaseMs, pollMs: config.jobs.pollMs }),
    dropIndex: async () => {},
    describe: () => ({
      store: { available: true, detail: `PostgreSQL ${redact(config.store.url ?? '')}` },
      ann: { available: true, detail: 'pgvector HNSW in PostgreSQL' },
    }),
    close: () => pg.close(),
  };
}
