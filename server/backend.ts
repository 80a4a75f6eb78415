import type { Config, Logger } from '../core/index.ts';
import { createAnnManager } from '../indexer/ann/index.ts';
import { createLexicalIndexCache, createSqliteRetrievers, type Retrievers } from '../retrieval/index.ts';
import { createPostgresRetrievers } from '../retrieval/postgres/retrievers.ts';
import type { StoreContract } from '../store/contract.ts';
import { openStore, type Store } from '../store/index.ts';
import { openConfiguredPostgresStore } from '../store/postgres/index.ts';
import { createSqliteContract } from '../store/sqlite-contract.ts';
import { createSharedJobs, type SharedJobs } from './jobs/shared.ts';
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
  const lexical = createLexicalIndexCache();
  return {
    store: createSqliteContract(embedded),
    embedded,
    retrievers: createSqliteRetrievers({ store: embedded, ann, lexical }),
    async dropIndex(collectionId) {
      lexical.invalidate(collectionId);
      await ann.drop(collectionId);
    },
    describe: () => ({
      store: { available: true, detail: 'SQLite' },
      ann: { available: true, detail: `vector indexes: ${config.index.kind}` },
    }),
    async close() {
      await ann.close();
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
