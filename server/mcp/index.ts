export { createMcpRoutes, mcpDocs } from './http.ts';
export { createCairnMcpServer } from './server.ts';
export { claimStdout, runMcpStdio } from './stdio.ts';
export type { McpContext, McpDeps } from './types.ts';
