import type { AuthInfo, createMcpHandler } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { z } from 'zod';
import { CairnError } from '../../core/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv, Principal } from '../env.ts';
import { principalId } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';
import type { SearchOutcome, Services } from '../services.ts';
import type { McpDeps } from './types.ts';

type McpHandler = ReturnType<typeof createMcpHandler>;

export const mcpDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/mcp',
    summary:
      'Model Context Protocol (Streamable HTTP, stateless): tools list_collections, search, ask, list_documents, get_document, ingest (write scope), job_status, and document resources cairn://{collection}/{documentId}',
    tag: 'MCP',
    body: z.looseObject({ jsonrpc: z.literal('2.0'), method: z.string() }).describe('A JSON-RPC message'),
    scope: 'read',
    stream: true,
    responses: {
      200: 'The JSON-RPC response, or an event stream with progress notifications before it',
      401: 'No valid API key',
    },
  },
];

/** The caller the app's auth middleware resolved, carried into the per-request MCP server. */
function principalOf(authInfo: AuthInfo | undefined): Principal {
  const principal = authInfo?.extra?.principal as Principal | undefined;
  // Never open by default: a request that did not pass through the app's auth gets nothing.
  if (!principal) throw new CairnError('UNAUTHORIZED', 'MCP request without a resolved caller');
  return principal;
}

/** Searches run in the search workers when the server has them, as REST searches do. */
function pooled(deps: AppDeps): Services {
  const pool = deps.searchPool;
  if (!pool) return deps.services;
  const decoder = new TextDecoder();
  const search: Services['search'] = async (call) =>
    pool.available ? (JSON.parse(decoder.decode(await pool.searchJson(call))) as SearchOutcome) : deps.services.search(call);
  return { ...deps.services, search };
}

/**
 * The MCP SDK and the tools take ~0.4 s to import and most servers never get an MCP request: they
 * load with the first one (a second request arriving meanwhile waits for the same handler).
 */
async function createHandler(deps: AppDeps, base: McpDeps): Promise<McpHandler> {
  const [{ createMcpHandler }, { createCairnMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/server'),
    import('./server.ts'),
  ]);
  return createMcpHandler((request) => createCairnMcpServer({ ...base, principal: principalOf(request.authInfo) }), {
    maxRequestBodySize: deps.config.server.maxBodyBytes,
    onerror: (error) => deps.logger.debug(`mcp: ${error.message}`),
  });
}

/**
 * POST /mcp: Streamable HTTP, stateless (one server instance per request). The app-wide Host,
 * Origin, API-key, rate and body-size checks run before it, so it answers as the REST API does.
 */
export function createMcpRoutes(deps: AppDeps, asks: ConcurrencyLimiter): Hono<AppEnv> {
  const base: McpDeps = {
    config: deps.config,
    store: deps.store,
    services: pooled(deps),
    jobs: deps.jobs,
    logger: deps.logger,
    asks,
  };
  let handler: Promise<McpHandler> | undefined;
  return new Hono<AppEnv>().all('/', async (c) => {
    const principal = c.get('principal');
    const authInfo: AuthInfo = { token: '', clientId: principalId(principal), scopes: [], extra: { principal } };
    handler ??= createHandler(deps, base);
    return (await handler).fetch(c.req.raw, { authInfo });
  });
}
