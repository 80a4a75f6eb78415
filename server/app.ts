import { Hono } from 'hono';
import type { AppDeps } from './deps.ts';
import { createErrorHandler, notFoundHandler } from './errors.ts';
import { createHealthRoutes } from './routes/health.ts';

/** The hono application: one sub-app per resource, errors turned into HTTP once. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.logger));
  app.notFound(notFoundHandler);
  app.route('/health', createHealthRoutes(deps));
  return app;
}
