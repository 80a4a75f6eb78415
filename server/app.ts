import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { routePath } from 'hono/route';
import type { AppDeps } from './deps.ts';
import type { AppEnv } from './env.ts';
import { createErrorHandler, notFoundHandler } from './errors.ts';
import { createMcpRoutes, mcpDocs } from './mcp/index.ts';
import { createAuth } from './middleware/auth.ts';
import { createEmbedCors, createEmbedGuard, embedKeyAllows } from './middleware/embed.ts';
import { createHostCheck } from './middleware/host.ts';
import { createBodyLimit, createConcurrencyLimiter, createRateLimit, createRequestTimeout } from './middleware/limits.ts';
import { createOriginCheck } from './middleware/origin.ts';
import { createPipeline } from './middleware/pipeline.ts';
import { createRequestId } from './middleware/request-id.ts';
import type { RouteDoc } from './openapi.ts';
import { askDocs, createAskRoutes } from './routes/ask.ts';
import { chatDocs, createChatRoutes } from './routes/chats.ts';
import { collectionDocs, createCollectionRoutes } from './routes/collections.ts';
import { createDocsRoutes, docsDocs } from './routes/docs.ts';
import { createDocumentFileRoutes, documentFileDocs } from './routes/document-files.ts';
import { createDocumentRoutes, documentDocs } from './routes/documents.ts';
import { createEmbedRoutes, embedDocs } from './routes/embed.ts';
import { createFeedbackRoutes, feedbackDocs } from './routes/feedback.ts';
import { createHealthRoutes, healthDocs } from './routes/health.ts';
import { createJobRoutes, jobDocs } from './routes/jobs.ts';
import { createKeyRoutes, keyDocs } from './routes/keys.ts';
import { createMetricsRoutes, metricsDocs } from './routes/metrics.ts';
import { createMultiRoutes, multiDocs } from './routes/multi.ts';
import { createOpenAiRoutes, openAiDocs } from './routes/openai.ts';
import { createSdkRoutes, sdkDocs } from './routes/sdk.ts';
import { createSearchRoutes, searchDocs } from './routes/search.ts';
import { createSqlRoutes, sqlDocs } from './routes/sql.ts';
import { createWebRoutes, webDocs } from './routes/web.ts';

export const ROUTE_DOCS: RouteDoc[] = [
  ...healthDocs,
  ...metricsDocs,
  ...docsDocs,
  ...collectionDocs,
  ...documentDocs,
  ...documentFileDocs,
  ...searchDocs,
  ...askDocs,
  ...multiDocs,
  ...sqlDocs,
  ...jobDocs,
  ...chatDocs,
  ...feedbackDocs,
  ...keyDocs,
  ...openAiDocs,
  ...mcpDocs,
  ...webDocs,
  ...sdkDocs,
  ...embedDocs,
];

/** Counts and times every request by its route pattern, so /metrics stays low-cardinality. */
function createRequestMetrics(deps: AppDeps): MiddlewareHandler<AppEnv> {
  // Not an async function: one promise callback per request instead of an async frame.
  return function measureRequest(c, next) {
    const started = performance.now();
    return next().finally(() => {
      const route = c.res.status === 404 ? 'unmatched' : routePath(c, -1);
      deps.metrics.observeRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    });
  };
}

function skipFor(paths: string[], middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return function unlessExempt(c, next) {
    if (paths.includes(c.req.path)) return next();
    return middleware(c, next);
  };
}

/** Every request's middleware, in order; run as one layer (pipeline.ts). */
function createMiddleware(deps: AppDeps): MiddlewareHandler<AppEnv>[] {
  const { config } = deps;
  // As browsers write an Origin: no trailing slash (the origin check compares the same way).
  const corsOrigins = config.server.corsOrigins.map((origin) => origin.trim().replace(/\/+$/, ''));
  return [
    createRequestId(), // first: every response, refusals included, names its request
    createRequestMetrics(deps),
    // Before CORS and auth: a rebound name or a foreign page is refused whatever it presents.
    createHostCheck({ boundHost: config.server.host, allowedHosts: config.server.allowedHosts }),
    createEmbedCors(deps.store),
    createOriginCheck(config.server.corsOrigins, embedKeyAllows(deps.store)),
    ...(corsOrigins.length > 0
      ? [
          cors({
            origin: corsOrigins.includes('*') ? '*' : corsOrigins,
            exposeHeaders: ['Retry-After', 'Location', 'X-Request-Id'],
            maxAge: 600,
          }),
        ]
      : []),
    createAuth({ store: deps.store, openWithoutKeys: deps.openWithoutKeys }),
    skipFor(['/health'], createRateLimit(config.server.rateLimitPerMinute)),
    createBodyLimit(config.server.maxBodyBytes),
    createEmbedGuard({
      store: deps.store,
      ratePerMinute: config.server.embedRatePerMinute,
      visitorRatePerMinute: config.server.embedVisitorRatePerMinute,
    }),
    createRequestTimeout(config.server.requestTimeoutMs),
  ];
}

/** The hono application: one sub-app per resource, errors turned into HTTP once. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config } = deps;
  const asks = createConcurrencyLimiter(config.server.maxConcurrentAsks, config.server.maxQueuedAsks);
  const app = new Hono<AppEnv>();
  const onError = createErrorHandler(deps.logger);
  app.onError(onError);
  app.notFound(notFoundHandler);
  app.use(createPipeline(createMiddleware(deps), onError));
  app.route('/health', createHealthRoutes(deps));
  app.route('/metrics', createMetricsRoutes(deps, asks));
  app.route('/', createDocsRoutes(ROUTE_DOCS));
  app.route('/', createWebRoutes());
  app.route('/', createSdkRoutes());
  app.route('/', createEmbedRoutes());
  app.route('/v1/collections', createCollectionRoutes(deps));
  app.route('/v1/collections/:collection/documents', createDocumentRoutes(deps));
  app.route('/v1/collections/:collection/documents', createDocumentFileRoutes(deps));
  app.route('/v1/collections/:collection/search', createSearchRoutes(deps));
  app.route('/v1/collections/:collection/ask', createAskRoutes(deps, asks));
  app.route('/v1', createMultiRoutes(deps, asks));
  app.route('/v1/collections/:collection', createSqlRoutes(deps));
  app.route('/v1/jobs', createJobRoutes(deps));
  app.route('/v1/chats', createChatRoutes(deps));
  app.route('/v1/chats', createFeedbackRoutes(deps));
  app.route('/v1/keys', createKeyRoutes(deps));
  app.route('/v1', createOpenAiRoutes(deps, asks));
  app.route('/mcp', createMcpRoutes(deps, asks));
  return app;
}
