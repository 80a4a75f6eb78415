import type { Context, MiddlewareHandler } from 'hono';
import { CairnError } from '../../core/index.ts';
import type { AppEnv } from '../env.ts';
import { requestHost } from './host.ts';

/**
 * A page the user visits can make the browser send POSTs here (a form, or fetch with text/plain,
 * which needs no CORS preflight), and on an open loopback server those carry full rights. Browsers
 * say who sent a request (Origin, Sec-Fetch-Site); clients that are not browsers (curl, the SDK,
 * the CLI) send neither and are judged by their key alone.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SAME_SITE_VALUES = new Set(['same-origin', 'none']);

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Whether the Origin is this server's own: the same host and port as the request names. */
function isOwnOrigin(origin: string, c: Context): boolean {
  try {
    return new URL(origin).host === requestHost(c).toLowerCase();
  } catch {
    return false;
  }
}

/** Why a state-changing request must be refused, or null when it may go on. */
export function originRefusal(c: Context, trusted: ReadonlySet<string>): string | null {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site')?.trim().toLowerCase();
  if (origin !== undefined && (trusted.has('*') || trusted.has(normalizeOrigin(origin)))) return null;
  if (site !== undefined && !SAME_SITE_VALUES.has(site)) return `the browser says it comes from a ${site} page`;
  if (origin !== undefined && !isOwnOrigin(origin, c)) return `it comes from the page origin ${origin}`;
  return null;
}

/** Whether the request carries an embed key that lists its (normalized) Origin. */
export type EmbedOriginCheck = (c: Context, origin: string) => boolean | Promise<boolean>;

/**
 * Refuses (403) POST, PUT, PATCH and DELETE sent by a browser page of another origin than this
 * server's own or one listed in `server.corsOrigins`, unless it presents an embed key bound to
 * that very origin (the key then only searches and asks: see embed.ts).
 */
export function createOriginCheck(
  corsOrigins: string[],
  embedKeyAllows: EmbedOriginCheck = () => false,
): MiddlewareHandler<AppEnv> {
  const trusted = new Set(corsOrigins.map(normalizeOrigin));
  const embedded = async (c: Context) => {
    const origin = c.req.header('origin');
    return origin !== undefined && (await embedKeyAllows(c, normalizeOrigin(origin)));
  };
  const refuseUnlessEmbedded = async (c: Context, reason: string) => {
    if (await embedded(c)) return;
    throw new CairnError(
      'ORIGIN_NOT_ALLOWED',
      `Refused a ${c.req.method} because ${reason}: only this server's own pages and server.corsOrigins may change data`,
      { origin: c.req.header('origin') ?? null, secFetchSite: c.req.header('sec-fetch-site') ?? null },
    );
  };
  // Not an async function: most requests pass on the spot, without a promise of their own.
  return function checkOrigin(c, next) {
    const reason = SAFE_METHODS.has(c.req.method) ? null : originRefusal(c, trusted);
    if (reason === null) return next();
    return refuseUnlessEmbedded(c, reason).then(next);
  };
}
