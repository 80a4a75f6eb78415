import type { McpServer } from '@modelcontextprotocol/server';
import type { McpContext } from './types.ts';

export { createMcpRoutes, mcpDocs } from './http.ts';
export { claimStdout, runMcpStdio } from './stdio.ts';
export type { McpContext, McpDeps } from './types.ts';

/** One MCP server over Cairn's services for one caller; the MCP SDK loads with the first (see server.ts). */
export async function createCairnMcpServer(ctx: McpContext): Promise<McpServer> {
  return (await import('./server.ts')).createCairnMcpServer(ctx);
}
