import type { Context } from 'hono';
import type { ApiKey } from '../core/index.ts';

/** Who is calling: anyone (open loopback server without keys) or the holder of an API key. */
export type Principal = { kind: 'open' } | { kind: 'key'; key: ApiKey };

/** The hono environment shared by every sub-app. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    /** Aborted when the request times out (see requestSignal for client disconnects too). */
    deadline: AbortSignal;
  };
}

/**
 * Aborted when the client disconnects or the request times out. Built on demand: reading the raw
 * request's signal makes the node adapter build a full Request, which most routes never need.
 */
export function requestSignal(c: Context<AppEnv>): AbortSignal {
  return AbortSignal.any([c.req.raw.signal, c.get('deadline')]);
}
