import type { Context, MiddlewareHandler } from 'hono';
import { CairnError } from '../../core/index.ts';
import type { AppEnv } from '../env.ts';

/**
 * DNS rebinding: a page on evil.example whose name is re-pointed at 127.0.0.1 reaches this server
 * as its own origin, so the browser lets it read every answer. The one thing it cannot forge is
 * the Host header, which still says evil.example: only names that really are this server pass.
 */
export interface HostPolicy {
  /** The address the server is bound to (`server.host`). */
  boundHost: string;
  /** Extra names (`server.allowedHosts`): `name`, `.example.com` for it and its subdomains, or `*` for any. */
  allowedHosts: string[];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '[::]', '']);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The host name of a Host header value, lower-cased, IPv6 in brackets; null when malformed. */
export function hostName(value: string): string | null {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::\d{1,5})?$/.exec(value.trim().toLowerCase());
  return match?.[1] ?? null;
}

/** `::1` as a Host header writes it (`[::1]`), so bound addresses and Host names compare alike. */
function asHostName(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || (IPV4.test(name) && name.startsWith('127.'));
}

function listed(name: string, allowed: string[]): boolean {
  return allowed.some((entry) => {
    const host = asHostName(entry);
    if (host === '*' || host === name) return true;
    return host.startsWith('.') && (name === host.slice(1) || name.endsWith(host));
  });
}

/** Whether a request naming `name` may be served under the policy. */
export function hostAllowed(name: string, policy: HostPolicy): boolean {
  const bound = asHostName(policy.boundHost);
  if (name === bound || listed(name, policy.allowedHosts)) return true;
  if (isLoopbackName(bound)) return isLoopbackName(name);
  // Bound to every interface: an address typed as an IP literal cannot be a rebound name.
  if (WILDCARD.has(bound)) return isLoopbackName(name) || IPV4.test(name) || name.startsWith('[');
  return false;
}

/** The Host the client named; app.request() in tests sends none, so the URL's host stands in. */
export function requestHost(c: Context): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/** Refuses (421) every request whose Host names neither this server nor an allowed host. */
export function createHostCheck(policy: HostPolicy): MiddlewareHandler<AppEnv> {
  // The verdict depends on the Host value alone: clients send the same few, so each is judged once
  // (a bounded memo, so a flood of made-up names cannot grow it).
  const verdicts = new Map<string, boolean>();
  const allowed = (host: string) => {
    let verdict = verdicts.get(host);
    if (verdict === undefined) {
      const name = hostName(host);
      verdict = name !== null && hostAllowed(name, policy);
      if (verdicts.size < 256) verdicts.set(host, verdict);
    }
    return verdict;
  };
  return function checkHost(c, next) {
    const host = requestHost(c);
    if (!allowed(host)) {
      throw new CairnError(
        'HOST_NOT_ALLOWED',
        `The Host "${host}" is not this server: add it to server.allowedHosts (CAIRN_ALLOWED_HOSTS) if it is`,
        { host },
      );
    }
    return next();
  };
}
