import type { Config, Logger } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import type { JobWorker } from './jobs/worker.ts';
import type { Metrics } from './metrics.ts';
import type { SearchPool } from './search-pool.ts';
import type { Services } from './services.ts';

export type { ComponentStatus } from './services.ts';

/** Everything the app needs, built once by the caller and passed in (tests pass fakes). */
export interface AppDeps {
  config: Config;
  /** The store, through the contract both backends (SQLite, PostgreSQL) implement. */
  store: StoreContract;
  /**
   * The embedded SQLite store behind `store`, for what only it has: original upload files and data
   * tables (SQL over tables). Absent on PostgreSQL, where those answer that they are not available.
   */
  embedded?: Store;
  logger: Logger;
  services: Services;
  jobs: JobWorker;
  metrics: Metrics;
  /**
   * True when the server may run without API keys (bound to loopback): with no active key every
   * request is allowed. Anywhere else a key is always required.
   */
  openWithoutKeys: boolean;
  /** Search workers; without them (or when none could start) searches run in the server's thread. */
  searchPool?: Pick<SearchPool, 'available' | 'searchJson'>;
  /** Aborted when the server shuts down: long-lived streams (job events) end then. */
  shutdown?: AbortSignal;
}
