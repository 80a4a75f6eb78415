import { Hono } from 'hono';
import { VERSION } from '../../core/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import type { RouteDoc } from '../openapi.ts';

export const healthDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness, and what runs: store, embedder, reranker, generator, auth',
    tag: 'Operations',
  },
];

export function createHealthRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const keys = deps.store.apiKeys.activeCount();
    return c.json({
      status: 'ok',
      version: VERSION,
      dataDir: deps.config.dataDir,
      schemaVersion: deps.store.schemaVersion(),
      offline: deps.config.offline,
      auth: keys > 0 ? 'api-keys' : deps.openWithoutKeys ? 'open (loopback, no API keys)' : 'api-keys',
      jobs: { queued: deps.jobs.depth() },
      components: await deps.services.components(),
    });
  });
}
