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
    const { config } = ctx;
    const server = await startServer(config, ctx.logger);
    ctx.logger.info(`Cairn serving on ${server.url} (data folder ${config.dataDir})`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        ctx.logger.info(`${signal}: finishing in-flight requests and closing the database`);
        server.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
