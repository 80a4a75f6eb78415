import type { Context } from 'hono';
import type { ApiKey } from '../core/index.ts';

/** Who is calling: anyone (open loopback server without keys) or the holder of an API key. */
export type Principal = { kind: 'open' } | { kind: 'key'; key: ApiKey };

/** The hono environment shared by every sub-app. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    /** performance.now() at which the request times out (requestSignal turns it into a signal). */
    deadlineAt: number;
  };
}

/**
 * Aborted when the client disconnects or the request times out. Built on demand: reading the raw
 * request's signal makes the node adapter build a full Request, which most routes never need.
 */
export function requestSignal(c: Context<AppEnv>): AbortSignal {
  const deadlineAt = c.get('deadlineAt');
  if (deadlineAt === undefined) return c.req.raw.signal;
  const timeout = AbortSignal.timeout(Math.max(0, Math.ceil(deadlineAt - performance.now())));
  return AbortSignal.any([c.req.raw.signal, timeout]);
}
