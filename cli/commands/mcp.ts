import { runMcpStdio } from '../../server/mcp/index.ts';
import type { Command } from '../context.ts';

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'Serve the collections to AI agents over MCP (stdio)',
  usage: 'cairn mcp [--data dir] [--collection name …]',
  options: {
    collection: { type: 'string', multiple: true, description: 'serve only this collection (repeat for several)' },
  },
  async run(ctx) {
    const named = ctx.flags.collection;
    const collections = Array.isArray(named) ? named : typeof named === 'string' ? [named] : [];
    return runMcpStdio(ctx.config, ctx.logger, collections.length > 0 ? { collections } : {});
  },
};
