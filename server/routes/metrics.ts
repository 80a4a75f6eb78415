import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';

export const metricsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: requests, latencies, ingest counts, queue depth',
    tag: 'Operations',
    scope: 'admin',
  },
];

export function createMetricsRoutes(deps: AppDeps, asks: ConcurrencyLimiter) {
  return new Hono<AppEnv>().get('/', async (c) => {
    requireScope(c, '*', 'admin');
    const text = deps.metrics.render({
      cairn_jobs_queue_depth: { help: 'Ingest jobs queued or running', value: await deps.store.jobs.queueDepth() },
      cairn_asks_active: { help: 'Answers being generated', value: asks.active() },
      cairn_asks_queued: { help: 'Answers waiting for a slot', value: asks.queued() },
      cairn_collections: { help: 'Collections', value: (await deps.store.collections.list()).length },
    });
    return c.text(text, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
