import path from 'node:path';
import { Writable } from 'node:stream';
import type { Config, Logger } from '../../core/index.ts';
import { createJobWorker } from '../jobs/worker.ts';
import { createMetrics } from '../metrics.ts';
import { createConcurrencyLimiter } from '../middleware/limits.ts';
import { createRuntime } from '../runtime.ts';
import type { McpDeps } from './types.ts';

/**
 * Keeps stdout for protocol messages only: returns a stream to the real stdout for the transport
 * and sends every other write to stdout (console.log of a library, say) to stderr instead.
 */
export function claimStdout(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Writable {
  const write = stdout.write.bind(stdout) as (chunk: unknown, callback: (error?: Error | null) => void) => boolean;
  stdout.write = stderr.write.bind(stderr) as typeof stdout.write;
  return new Writable({
    write(chunk, _encoding, callback) {
      write(chunk, callback);
    },
  });
}

/** Resolves when the client closes stdin or the process is told to stop. */
function untilClosed(): Promise<string> {
  return new Promise((resolve) => {
    process.stdin.once('end', () => resolve('stdin closed'));
    process.stdin.once('close', () => resolve('stdin closed'));
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/** `cairn mcp`: the collections as MCP tools over stdio, for desktop clients; the local user holds every scope. */
export async function runMcpStdio(config: Config, logger: Logger, options: { collections?: string[] } = {}): Promise<number> {
  const out = claimStdout();
  const rt = await createRuntime(config, logger);
  const jobs = createJobWorker({
    store: rt.store,
    ...(rt.embedded ? { embedded: rt.embedded } : {}),
    logger,
    metrics: createMetrics(),
    ingest: rt.services.ingest,
    uploadsDir: path.join(config.dataDir, 'uploads'),
    config: config.jobs,
    ...(rt.shared ? { shared: rt.shared } : {}),
  });
  // On SQLite, no resume(): a `cairn serve` on the same data folder may be running those jobs right
  // now; this process runs only the jobs its own client submits (an interrupted one is resumed by the
  // next serve). On PostgreSQL jobs are claimed under leases, so this process takes its share safely.
  if (rt.shared) await jobs.resume();
  for (const name of options.collections ?? []) {
    if (!(await rt.store.collections.get(name))) logger.warn(`collection "${name}" does not exist (yet)`);
  }
  const deps: McpDeps = {
    config,
    store: rt.store,
    services: rt.services,
    jobs,
    logger,
    asks: createConcurrencyLimiter(config.server.maxConcurrentAsks, config.server.maxQueuedAsks),
    ...(options.collections && options.collections.length > 0 ? { collections: options.collections } : {}),
  };
  // Loaded here, not with the module: `cairn serve` and the CLI's other commands reach this file too.
  const [{ StdioServerTransport, serveStdio }, { createCairnMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/server/stdio'),
    import('./server.ts'),
  ]);
  const handle = serveStdio(() => createCairnMcpServer({ ...deps, principal: { kind: 'open' } }), {
    transport: new StdioServerTransport(process.stdin, out),
    onerror: (error) => logger.warn(`mcp: ${error.message}`),
  });
  logger.info(`Cairn MCP server on stdio (${rt.embedded ? `data folder ${config.dataDir}` : 'PostgreSQL'})`);
  const reason = await untilClosed();
  logger.info(`${reason}: stopping`);
  await handle.close();
  await jobs.stop();
  await rt.close();
  return 0;
}
