import { Hono } from 'hono';
import { parseScopes } from '../../cli/commands/keys.ts';
import { type ApiKey, CairnError, type Scope } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { param, parseJsonBody } from '../validate.ts';
import { createKeySchema } from '../webapi-schemas.ts';

export const keyDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/keys',
    summary: 'API keys, revoked ones included; never their secrets (only hashes are stored)',
    tag: 'Keys',
    scope: 'admin on *',
    responses: { 200: '`{keys}`', 403: 'The key is not an admin key on every collection' },
  },
  {
    method: 'post',
    path: '/v1/keys',
    summary:
      'Create a key: `{name, scopes: ["docs", "docs:read,write", "*:admin"]}`, or an embed key `{name, embed: {collection, origins}}`; the secret is in this answer only',
    tag: 'Keys',
    body: createKeySchema,
    scope: 'admin on *',
    responses: { 201: '`{key, secret}`', 400: 'Invalid scopes or origins', 403: 'Not an admin key on every collection' },
  },
  {
    method: 'delete',
    path: '/v1/keys/{id}',
    summary: 'Revoke a key: it stops working at once',
    tag: 'Keys',
    scope: 'admin on *',
    responses: { 200: '`{revoked: true, key}`', 404: 'No active key with this id' },
  },
];

/** The CLI's `--scope` grammar, refused in the API's words. */
function scopesOf(values: string[]): Record<string, Scope[]> {
  try {
    return parseScopes(values);
  } catch (error) {
    if (!(error instanceof CairnError)) throw error;
    throw new CairnError('VALIDATION', 'Each scope must look like <collection|*>[:read,write,admin], e.g. "docs:read,write"', {
      scopes: values,
    });
  }
}

async function revokeById(store: StoreContract, id: string): Promise<ApiKey> {
  // revoke() also takes names: the route's {id} is an id only.
  const key = (await store.apiKeys.list()).find((k) => k.id === id && k.revokedAt === null);
  if (!key) throw new CairnError('NOT_FOUND', `No active API key with id "${id}"`, { id });
  return store.apiKeys.revoke(key.id);
}

/** Keys administer the whole server, so every route needs admin on `*` (embed keys never get here). */
export function createKeyRoutes(deps: AppDeps) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      requireScope(c, '*', 'admin');
      return c.json({ keys: await store.apiKeys.list() });
    })
    .post('/', async (c) => {
      requireScope(c, '*', 'admin');
      const body = await parseJsonBody(c, createKeySchema);
      const created =
        'embed' in body
          ? await store.apiKeys.createEmbed({ name: body.name, ...body.embed, ratePerMinute: body.embed.ratePerMinute ?? null })
          : await store.apiKeys.create({ name: body.name, scopes: scopesOf(body.scopes) });
      return c.json({ key: created.apiKey, secret: created.key }, 201);
    })
    .delete('/:id', async (c) => {
      requireScope(c, '*', 'admin');
      return c.json({ revoked: true, key: await revokeById(store, param(c, 'id')) });
    });
}
