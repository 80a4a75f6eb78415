import { Hono } from 'hono';
import { VERSION } from '../../core/index.ts';
import { ocrStatus } from '../../indexer/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv, Principal } from '../env.ts';
import { hasScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';

export const healthDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness, and what runs: store, embedder, reranker, generator, auth, OCR',
    tag: 'Operations',
  },
];

/** Server paths are for the operator: only a key with admin on every collection sees them. */
function isGlobalAdmin(principal: Principal): boolean {
  return principal.kind === 'key' && hasScope(principal, '*', 'admin');
}

export function createHealthRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const keys = deps.store.apiKeys.activeCount();
    return c.json({
      status: 'ok',
      version: VERSION,
      ...(isGlobalAdmin(c.get('principal')) ? { dataDir: deps.config.dataDir } : {}),
      schemaVersion: deps.store.schemaVersion(),
      offline: deps.config.offline,
      auth: keys > 0 ? 'api-keys' : deps.openWithoutKeys ? 'open (loopback, no API keys)' : 'api-keys',
      jobs: { queued: deps.jobs.depth() },
      components: await deps.services.components(),
      ocr: ocrStatus(deps.config.ingest),
    });
  });
}
