/** The models room's one door. */
export { DEFAULT_EMBEDDERS, embedderPreset } from './embedder-presets.ts';
export { createHashEmbedder } from './hash-embedder.ts';
export { createTerminalProgress, type DownloadProgress, formatBytes, renderProgressLine } from './progress.ts';
export { isConfinedRef, type ModelRef, parseModelRef } from './refs.ts';
export {
  assertDimensions,
  createModelRegistry,
  describeModel,
  type ModelInfo,
  type ModelRegistry,
  type ModelRegistryOptions,
  type ModelRole,
  type PullResult,
} from './registry.ts';
export type * from './types.ts';
