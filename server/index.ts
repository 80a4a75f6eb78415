export { createApp } from './app.ts';
export type { AppDeps, ComponentStatus } from './deps.ts';
export { defaultComponents, type RunningServer, startServer } from './serve.ts';
