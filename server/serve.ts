import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { serve } from '@hono/node-server';
import { CairnError, type Config, type Logger } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import { createApp } from './app.ts';
import type { AppDeps } from './deps.ts';
import { createJobWorker, type JobWorker } from './jobs/worker.ts';
import { createMetrics } from './metrics.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { createSearchPool, resolveSearchWorkers, type SearchPool } from './search-pool.ts';

export interface RunningServer {
  url: string;
  port: number;
  store: StoreContract;
  /** The embedded SQLite store behind `store` (absent on PostgreSQL). */
  embedded?: Store;
  jobs: JobWorker;
  /** Whether requests without a key are allowed (loopback, no active key). */
  open: boolean;
  /** Worker threads that run searches (0: searches run in the server's thread). */
  searchWorkers: number;
  /** What runs and what does not (as /health reports it). */
  components: Runtime['services']['components'];
  /**
   * Stops accepting connections, lets in-flight requests finish (up to the grace period), stops
   * the job worker at a safe point, then closes the ANN manager, the models and the database.
   */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

type NodeServer = ReturnType<typeof serve> & { closeAllConnections?(): void; closeIdleConnections?(): void };

/** Binding anywhere but loopback without an API key would expose every document: refuse. */
export async function checkExposure(config: Config, store: StoreContract): Promise<{ open: boolean }> {
  const keys = await store.apiKeys.activeCount();
  if (keys > 0) return { open: false };
  if (isLoopback(config.server.host)) return { open: true };
  throw new CairnError(
    'CONFIG_INVALID',
    `Refusing to serve on ${config.server.host} without API keys: create one with \`cairn keys create <name> --scope "*:admin"\`, or bind to 127.0.0.1`,
    { host: config.server.host },
  );
}

export async function startServer(config: Config, logger: Logger, runtime?: Runtime): Promise<RunningServer> {
  // A taken port is reported before the data folder and database are touched, so a failed start creates nothing.
  if (!runtime) await assertPortFree(config.server.host, config.server.port);
  const rt = runtime ?? (await createRuntime(config, logger));
  let exposure: { open: boolean };
  try {
    exposure = await checkExposure(config, rt.store);
  } catch (error) {
    await rt.close();
    throw error;
  }
  const metrics = createMetrics();
  const searchPool = startSearchPool(config, logger, rt);
  const embedded = rt.embedded ? { embedded: rt.embedded } : {};
  const jobs = createJobWorker({
    store: rt.store,
    ...embedded,
    logger,
    metrics,
    ingest: rt.services.ingest,
    uploadsDir: rt.uploadsDir,
    config: config.jobs,
    ...(rt.shared ? { shared: rt.shared } : {}),
  });
  const shutdown = new AbortController();
  const services = { ...rt.services, components: componentsWith(rt, searchPool) };
  const deps: AppDeps = {
    config,
    store: rt.store,
    ...embedded,
    logger,
    services,
    jobs,
    metrics,
    openWithoutKeys: isLoopback(config.server.host),
    shutdown: shutdown.signal,
    ...(searchPool ? { searchPool } : {}),
  };
  const app = createApp(deps);
  let server: NodeServer;
  try {
    server = await listen(app.fetch, config.server.host, config.server.port);
  } catch (error) {
    await searchPool?.close();
    await rt.close();
    throw error;
  }
  // With search workers the reranker lives only there: this thread embeds for ingest and generates.
  rt.warm?.(searchPool ? ['embedder', 'generator'] : undefined);
  await jobs.resume();
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    store: rt.store,
    ...embedded,
    jobs,
    open: exposure.open,
    searchWorkers: searchPool?.size ?? 0,
    components: services.components,
    close: () => {
      closing ??= (async () => {
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        shutdown.abort();
        // Keep-alive connections become idle as their last request finishes: close them then,
        // not when the client's keep-alive timer runs out.
        // Node's own list of connections knows which are between requests: no per-request bookkeeping here.
        const closeIdle = () => server.closeIdleConnections?.();
        const sweep = setInterval(closeIdle, 50);
        closeIdle();
        const force = setTimeout(() => server.closeAllConnections?.(), config.server.shutdownGraceMs);
        await Promise.all([jobs.stop(), drained]);
        clearInterval(sweep);
        clearTimeout(force);
        rt.searchAnswersWith?.(null);
        rt.scoreSpansWith?.(null);
        await searchPool?.close();
        await rt.close();
      })();
      return closing;
    },
  };
}

/** The search workers config asks for, with answers' retrieval sent to them too; null for none. */
function startSearchPool(config: Config, logger: Logger, rt: Runtime): SearchPool | null {
  // Search workers read the embedded store's indexes; on PostgreSQL search runs in the database.
  if (!rt.embedded) return null;
  const size = resolveSearchWorkers(config.server.searchWorkers);
  if (size === 0) return null;
  const pool = createSearchPool({ config, size, logger });
  rt.searchAnswersWith?.((request) => (pool.available ? pool.search(request) : null));
  // The reranker lives in the workers (the server's thread never loads it): citation spans are ranked there too.
  rt.scoreSpansWith?.((collection, query, texts) => (pool.available ? pool.score(collection, query, texts) : null));
  return pool;
}

/** What runs, as /health reports it: the reranker's state comes from a search worker when there is one. */
function componentsWith(rt: Runtime, pool: SearchPool | null): Runtime['services']['components'] {
  return async () => {
    const own = await rt.services.components();
    const theirs = pool?.available ? await pool.components().catch(() => null) : null;
    return theirs?.reranker ? { ...own, reranker: theirs.reranker } : own;
  };
}

/**
 * Returns a function that closes every connection with no request in flight. Node's own
 * closeIdleConnections misses a connection whose streamed response was cut off by the client.
 */
function portInUse(hostname: string, port: number): CairnError {
  return new CairnError('PORT_IN_USE', `Port ${port} on ${hostname} is already in use; pick another with --port`, { port });
}

async function assertPortFree(hostname: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? portInUse(hostname, port)
          : new CairnError('INTERNAL', `Cannot listen on ${hostname}:${port}: ${error.message}`),
      ),
    );
    probe.listen(port, hostname, () => probe.close(() => resolve()));
  });
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<NodeServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }) as NodeServer;
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(portInUse(hostname, port));
      } else {
        reject(new CairnError('INTERNAL', `Cannot listen on ${hostname}:${port}: ${error.message}`));
      }
    });
  });
}
