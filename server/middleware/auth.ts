import type { Context, MiddlewareHandler } from 'hono';
import { CairnError, type Scope } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { AppEnv, Principal } from '../env.ts';

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

/** Paths anyone may read: liveness, the API description and the chat UI's static files. */
const PUBLIC = new Set(['/health', '/openapi.json', '/docs', '/', '/embed.js', '/sdk.js']);
/** The chat app's built files (web/dist/assets): code and styles, no data. */
const PUBLIC_PREFIX = '/ui/assets/';

export function presentedKey(c: Context): string | null {
  const header = c.req.header('authorization');
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match?.[1]?.trim() ?? header.trim();
  }
  return c.req.header('x-api-key')?.trim() || null;
}

/** Resolves the caller into a Principal; 401 when a key is needed and missing, unknown or revoked. */
export function createAuth(options: { store: StoreContract; openWithoutKeys: boolean }): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const key = presentedKey(c);
    // An open server ignores whatever key a client sends (OpenAI clients always send one).
    if (options.openWithoutKeys && (await options.store.apiKeys.activeCount()) === 0) {
      c.set('principal', { kind: 'open' });
    } else if (key) {
      const apiKey = await options.store.apiKeys.verify(key);
      if (!apiKey) throw new CairnError('UNAUTHORIZED', 'The API key is unknown or revoked');
      c.set('principal', { kind: 'key', key: apiKey });
    } else if (!PUBLIC.has(c.req.path) && !c.req.path.startsWith(PUBLIC_PREFIX)) {
      throw new CairnError('UNAUTHORIZED', 'A valid API key is required: send "Authorization: Bearer <key>"');
    } else {
      c.set('principal', { kind: 'open' });
    }
    await next();
  };
}

/** True when the principal holds the scope (or a higher one) on the collection or on every collection. */
export function hasScope(principal: Principal, collection: string, scope: Scope): boolean {
  if (principal.kind === 'open') return true;
  const held = [...(principal.key.scopes[collection] ?? []), ...(principal.key.scopes['*'] ?? [])];
  return held.some((s) => RANK[s] >= RANK[scope]);
}

/** Throws FORBIDDEN unless the caller holds the scope; `*` stands for every collection. */
export function requireScope(c: Context<AppEnv>, collection: string, scope: Scope): void {
  const principal = c.get('principal');
  if (hasScope(principal, collection, scope)) return;
  const target = collection === '*' ? 'every collection' : `collection "${collection}"`;
  throw new CairnError('FORBIDDEN', `The API key needs the "${scope}" scope on ${target}`, { collection, scope });
}

/** The rate-limit bucket of a caller: its key, or one shared bucket when open. */
export function principalId(principal: Principal): string {
  return principal.kind === 'key' ? principal.key.id : 'open';
}
