import type { Config, Logger } from '../core/index.ts';
import type { Store } from '../store/index.ts';

export interface ComponentStatus {
  available: boolean;
  detail: string;
}

/** Everything the app needs, built once by the caller and passed in (tests pass fakes). */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  /** What runs and what does not: reported by /health so nothing degrades silently. */
  components: () => Promise<Record<string, ComponentStatus>>;
}
