import type { ApiKey } from '../core/index.ts';

/** Who is calling: anyone (open loopback server without keys) or the holder of an API key. */
export type Principal = { kind: 'open' } | { kind: 'key'; key: ApiKey };

/** The hono environment shared by every sub-app. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    /** Aborted when the client disconnects or the request times out. */
    signal: AbortSignal;
  };
}
