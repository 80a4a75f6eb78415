import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { CairnError, type Config, type Logger } from '../core/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { createApp } from './app.ts';
import type { AppDeps, ComponentStatus } from './deps.ts';

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

export function defaultComponents(config: Config): () => Promise<Record<string, ComponentStatus>> {
  return async () => ({
    store: { available: true, detail: 'SQLite' },
    embedder: {
      available: false,
      detail: `${config.models.embedder ?? 'none configured'}: model loading not built yet (BM25 only)`,
    },
    reranker: { available: false, detail: `${config.models.reranker ?? 'none configured'}: not built yet` },
    generator: { available: false, detail: `${config.models.generator ?? 'none configured'}: not built yet (extractive)` },
  });
}

export async function startServer(config: Config, logger: Logger, extra: Partial<AppDeps> = {}): Promise<RunningServer> {
  const store = openStore({ dataDir: config.dataDir });
  const deps: AppDeps = { config, store, logger, components: defaultComponents(config), ...extra };
  const app = createApp(deps);
  let server: ReturnType<typeof serve>;
  try {
    server = await listen(app.fetch, config.server.host, config.server.port);
  } catch (error) {
    store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          if ('closeAllConnections' in server) (server as { closeAllConnections(): void }).closeAllConnections();
        }, config.server.shutdownGraceMs);
        force.unref();
        if ('closeIdleConnections' in server) (server as { closeIdleConnections(): void }).closeIdleConnections();
        server.close(() => {
          clearTimeout(force);
          store.close();
          resolve();
        });
      });
      return closing;
    },
  };
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port });
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new CairnError('PORT_IN_USE', `Port ${port} on ${hostname} is already in use; pick another with --port`, { port }),
        );
      } else {
        reject(new CairnError('INTERNAL', `Cannot listen on ${hostname}:${port}: ${error.message}`));
      }
    });
  });
}
