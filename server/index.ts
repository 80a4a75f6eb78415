export { createApp, ROUTE_DOCS } from './app.ts';
export type { AppDeps, ComponentStatus } from './deps.ts';
export type { AppEnv, Principal } from './env.ts';
export { createJobWorker, type JobEvent, type JobWorker } from './jobs/worker.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { buildOpenApi, toJsonSchema } from './openapi.ts';
export { createRuntime, type Runtime } from './runtime.ts';
export { checkExposure, isLoopback, type RunningServer, startServer } from './serve.ts';
export type * from './services.ts';
