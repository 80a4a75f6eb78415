import { McpServer } from '@modelcontextprotocol/server';
import { VERSION } from '../../core/index.ts';
import { buildInstructions } from './instructions.ts';
import { registerDocumentResources } from './resources.ts';
import { registerAskTool } from './tools-ask.ts';
import { registerDocumentTools } from './tools-documents.ts';
import { registerJobTools } from './tools-jobs.ts';
import { registerSearchTool } from './tools-search.ts';
import type { McpContext } from './types.ts';

/** One MCP server over Cairn's services for one caller: tools, document resources, instructions. */
export async function createCairnMcpServer(ctx: McpContext): Promise<McpServer> {
  const server = new McpServer(
    { name: 'cairn', title: 'Cairn', version: VERSION },
    { capabilities: { tools: {}, resources: {} }, instructions: await buildInstructions(ctx) },
  );
  registerDocumentTools(server, ctx);
  registerSearchTool(server, ctx);
  registerAskTool(server, ctx);
  registerJobTools(server, ctx);
  registerDocumentResources(server, ctx);
  return server;
}
