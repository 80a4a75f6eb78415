import { Hono } from 'hono';
import { VERSION } from '../../core/index.ts';
import type { AppDeps } from '../deps.ts';

export function createHealthRoutes(deps: AppDeps) {
  return new Hono().get('/', async (c) =>
    c.json({
      status: 'ok',
      version: VERSION,
      dataDir: deps.config.dataDir,
      schemaVersion: deps.store.schemaVersion(),
      offline: deps.config.offline,
      components: await deps.components(),
    }),
  );
}
