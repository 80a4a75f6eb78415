import { afterEach, describe, expect, it } from 'vitest';
import { Cairn, PermissionDeniedError } from '../../sdk/index.ts';
import { startSdkServer } from '../sdk/helpers.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const SITE = 'https://site.example';

function setup() {
  env = createTestEnv();
  env.store.collections.create({ name: 'docs' });
  const admin = env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } });
  const reader = env.store.apiKeys.create({ name: 'reader', scopes: { '*': ['read'] } });
  const docsAdmin = env.store.apiKeys.create({ name: 'docs-admin', scopes: { docs: ['admin'] } });
  const embed = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: [SITE] });
  return { env, admin: admin.key, reader: reader.key, docsAdmin: docsAdmin.key, embed: embed.key, readerId: reader.apiKey.id };
}

function call(e: TestEnv, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
  };
  return e.app.request(path, body === undefined ? init : { ...init, body: JSON.stringify(body) });
}

async function refusal(res: Response): Promise<[number, string]> {
  return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
}

describe('/v1/keys', () => {
  it('lists keys without secrets or hashes', async () => {
    const s = setup();
    const res = await call(s.env, s.admin, 'GET', '/v1/keys');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(res.status).toBe(200);
    expect(keys.map((k) => k.name)).toEqual(['admin', 'reader', 'docs-admin', 'site']);
    expect(keys.map((k) => Object.keys(k).sort().join(','))).toEqual([
      'createdAt,id,lastUsedAt,name,revokedAt,scopes',
      'createdAt,id,lastUsedAt,name,revokedAt,scopes',
      'createdAt,id,lastUsedAt,name,revokedAt,scopes',
      'createdAt,embed,id,lastUsedAt,name,revokedAt,scopes',
    ]);
    expect(JSON.stringify(keys)).not.toContain(s.reader);
  });

  it('creates a key with the CLI scope grammar; its secret works and is shown once', async () => {
    const s = setup();
    const res = await call(s.env, s.admin, 'POST', '/v1/keys', { name: 'writer', scopes: ['docs:read,write', 'notes'] });
    const body = (await res.json()) as { key: { id: string; name: string; scopes: unknown; revokedAt: null }; secret: string };
    expect(res.status).toBe(201);
    expect([body.key.name, body.key.scopes, body.key.revokedAt]).toEqual([
      'writer',
      { docs: ['read', 'write'], notes: ['read'] },
      null,
    ]);
    expect(body.secret).toMatch(/^cairn_[A-Za-z0-9_-]{32}$/);
    expect(s.env.store.apiKeys.verify(body.secret)?.id).toBe(body.key.id);
    const list = await (await call(s.env, s.admin, 'GET', '/v1/keys')).text();
    expect(list).not.toContain(body.secret);
  });

  it('creates an embed key bound to one collection and normalized origins', async () => {
    const s = setup();
    const res = await call(s.env, s.admin, 'POST', '/v1/keys', {
      name: 'blog',
      embed: { collection: 'docs', origins: ['HTTPS://Blog.Example/'] },
    });
    const body = (await res.json()) as { key: { embed: unknown; scopes: unknown }; secret: string };
    expect(res.status).toBe(201);
    expect([body.key.embed, body.key.scopes]).toEqual([
      { collection: 'docs', origins: ['https://blog.example'], ratePerMinute: null },
      { docs: ['read'] },
    ]);
    expect(body.secret.startsWith('cairn_embed_')).toBe(true);
  });

  it('refuses malformed scopes and origins with VALIDATION', async () => {
    const s = setup();
    const badScope = await call(s.env, s.admin, 'POST', '/v1/keys', { name: 'x', scopes: ['docs:everything'] });
    const noScope = await call(s.env, s.admin, 'POST', '/v1/keys', { name: 'x', scopes: [] });
    const badOrigin = await call(s.env, s.admin, 'POST', '/v1/keys', {
      name: 'x',
      embed: { collection: 'docs', origins: ['*'] },
    });
    const both = await call(s.env, s.admin, 'POST', '/v1/keys', {
      name: 'x',
      scopes: ['docs'],
      embed: { collection: 'docs', origins: [SITE] },
    });
    expect([await refusal(badScope), await refusal(noScope), await refusal(badOrigin), await refusal(both)]).toEqual([
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
    ]);
  });

  it('revokes by id: the key stops working at once; a second revoke is NOT_FOUND', async () => {
    const s = setup();
    const res = await call(s.env, s.admin, 'DELETE', `/v1/keys/${s.readerId}`);
    const body = (await res.json()) as { revoked: boolean; key: { id: string; revokedAt: string | null } };
    expect([res.status, body.revoked, body.key.id, typeof body.key.revokedAt]).toEqual([200, true, s.readerId, 'string']);
    expect(await refusal(await call(s.env, s.reader, 'GET', '/v1/collections'))).toEqual([401, 'UNAUTHORIZED']);
    expect(await refusal(await call(s.env, s.admin, 'DELETE', `/v1/keys/${s.readerId}`))).toEqual([404, 'NOT_FOUND']);
    // A name is not an id here.
    expect(await refusal(await call(s.env, s.admin, 'DELETE', '/v1/keys/docs-admin'))).toEqual([404, 'NOT_FOUND']);
  });

  it('refuses read keys, collection admins and embed keys', async () => {
    const s = setup();
    const embedHeaders = { origin: SITE, 'sec-fetch-site': 'cross-site', 'x-cairn-visitor': 'visitor_aaaaaaaa' };
    expect([
      await refusal(await call(s.env, s.reader, 'POST', '/v1/keys', { name: 'x', scopes: ['*:admin'] })),
      await refusal(await call(s.env, s.reader, 'GET', '/v1/keys')),
      await refusal(await call(s.env, s.docsAdmin, 'GET', '/v1/keys')),
      await refusal(await call(s.env, s.docsAdmin, 'DELETE', `/v1/keys/${s.readerId}`)),
      await refusal(await call(s.env, s.embed, 'GET', '/v1/keys', undefined, embedHeaders)),
      await refusal(await call(s.env, s.embed, 'POST', '/v1/keys', { name: 'x', scopes: ['*:admin'] }, embedHeaders)),
    ]).toEqual([
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'EMBED_KEY_FORBIDDEN'],
      [403, 'EMBED_KEY_FORBIDDEN'],
    ]);
    expect(s.env.store.apiKeys.list().map((k) => [k.name, k.revokedAt])).toEqual([
      ['admin', null],
      ['reader', null],
      ['docs-admin', null],
      ['site', null],
    ]);
  });

  it('cairn.keys.create, list and revoke through the SDK over a real socket', async () => {
    const running = await startSdkServer();
    try {
      const open = new Cairn({ baseUrl: running.url, maxRetries: 0 });
      const { key, secret } = await open.keys.create({ name: 'root', scopes: ['*:admin'] });
      const admin = new Cairn({ baseUrl: running.url, apiKey: secret, maxRetries: 0 });
      const reader = await admin.keys.create({ name: 'r', scopes: ['docs'] });
      expect((await admin.keys.list()).map((k) => [k.name, k.scopes])).toEqual([
        ['root', { '*': ['admin'] }],
        ['r', { docs: ['read'] }],
      ]);
      const denied = await new Cairn({ baseUrl: running.url, apiKey: reader.secret, maxRetries: 0 }).keys.list().catch((e) => e);
      expect([denied instanceof PermissionDeniedError, (denied as PermissionDeniedError).code]).toEqual([true, 'FORBIDDEN']);
      expect((await admin.keys.revoke(reader.key.id)).revokedAt).not.toBeNull();
      expect(key.name).toBe('root');
    } finally {
      await running.close();
    }
  });
});
