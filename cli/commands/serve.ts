import { startServer } from '../../server/index.ts';
import type { Command } from '../context.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the chat UI and the API',
  usage: 'cairn serve [--port n] [--host addr] [--data dir]',
  options: {
    port: { type: 'string', description: 'port (default 8787)', config: 'server.port', number: true },
    host: { type: 'string', description: 'address to bind (default 127.0.0.1)', config: 'server.host' },
  },
  async run(ctx) {
    const { config, logger } = ctx;
    const server = await startServer(config, logger);
    const onPostgres = server.embedded === undefined;
    const storeLine = onPostgres
      ? `database ${(await server.components()).store?.detail ?? 'PostgreSQL'}`
      : `data folder ${config.dataDir}`;
    logger.info(`Cairn serving on ${server.url} (${storeLine})`);
    logger.info(`API description: ${server.url}/docs`);
    const workers = server.searchWorkers;
    logger.info(
      onPostgres
        ? 'Searches run inside PostgreSQL; jobs are shared with the other instances of this database'
        : workers > 0
          ? `Searches run in ${workers} worker thread${workers === 1 ? '' : 's'} (server.searchWorkers)`
          : "Searches run in the server's thread (server.searchWorkers is 0)",
    );
    // Give the model checks a moment, then say what runs degraded rather than leave it to /health.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const [name, status] of Object.entries(await server.components())) {
      if (!status.available) logger.warn(`${name}: ${status.detail}`);
    }
    if (server.open) {
      logger.warn(
        'no API keys: the server is open to anyone on this machine (create one with `cairn keys create <name> --scope "*:admin"`)',
      );
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info(`${signal}: finishing in-flight requests, pausing jobs at a safe point, closing the database`);
        // A second Ctrl-C while draining means "now".
        process.once(signal, () => process.exit(130));
        server.close().then(resolve, (error: Error) => {
          logger.error(`shutdown: ${error.message}`);
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    logger.info('stopped');
    return 0;
  },
};
