export * from './config.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './logger.ts';
export * from './text.ts';
export type * from './types.ts';
export { VERSION } from './version.ts';
