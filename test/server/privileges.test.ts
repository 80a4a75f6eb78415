import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseScopes } from '../../cli/commands/keys.ts';
import { main } from '../../cli/main.ts';
import { isConfinedRef } from '../../models/index.ts';
import { openStore } from '../../store/index.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

function setup(): TestEnv {
  env = createTestEnv();
  return env;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('/health', () => {
  it('shows the data folder only to a key with admin on every collection', async () => {
    const { app, store, dataDir } = setup();
    const health = async (headers: Record<string, string> = {}) =>
      (await (await app.request('/health', { headers })).json()) as { dataDir?: string; status: string };
    expect(await health()).not.toHaveProperty('dataDir');
    const admin = store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
    const docsAdmin = store.apiKeys.create({ name: 'docs-admin', scopes: { docs: ['admin'] } }).key;
    const reader = store.apiKeys.create({ name: 'reader', scopes: { '*': ['read'] } }).key;
    const seen = [await health(), await health(bearer(reader)), await health(bearer(docsAdmin)), await health(bearer(admin))];
    expect(seen.map((h) => [h.status, h.dataDir ?? null])).toEqual([
      ['ok', null],
      ['ok', null],
      ['ok', null],
      ['ok', dataDir],
    ]);
  });
});

describe('per-collection model references', () => {
  it('lets a collection admin name hub ids and files under the models folder only', async () => {
    const { app, store, dataDir } = setup();
    store.collections.create({ name: 'docs' });
    const docsAdmin = store.apiKeys.create({ name: 'docs-admin', scopes: { docs: ['admin'] } }).key;
    const patch = (body: object) =>
      app.request('/v1/collections/docs', {
        method: 'PATCH',
        body: JSON.stringify(body),
        headers: { ...bearer(docsAdmin), 'content-type': 'application/json' },
      });
    for (const ref of ['/etc/passwd', '../../../../root/model.gguf', `${dataDir}/models/../secret.gguf`, 'static:/srv']) {
      const res = await patch({ generator: ref });
      expect([ref, res.status, await errorOf(res)]).toEqual([ref, 403, 'MODEL_REF_NOT_ALLOWED']);
    }
    expect(store.collections.require('docs').settings.generator).toBeNull();
    const inFolder = path.join(dataDir, 'models', 'tiny', 'model.gguf');
    expect((await patch({ embedder: 'Xenova/bge-small-en-v1.5', generator: inFolder, reranker: null })).status).toBe(200);
    expect(store.collections.require('docs').settings.generator).toBe(inFolder);
  });

  it('needs an admin key on every collection for any other path, on create as on update', async () => {
    const { app, store } = setup();
    const newAdmin = store.apiKeys.create({ name: 'new-admin', scopes: { fresh: ['admin'] } }).key;
    const globalAdmin = store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
    const create = (key: string, name: string) =>
      app.request('/v1/collections', {
        method: 'POST',
        body: JSON.stringify({ name, embedder: '/opt/models/e5' }),
        headers: { ...bearer(key), 'content-type': 'application/json' },
      });
    expect(await errorOf(await create(newAdmin, 'fresh'))).toBe('MODEL_REF_NOT_ALLOWED');
    expect(store.collections.get('fresh')).toBeNull();
    expect((await create(globalAdmin, 'fresh')).status).toBe(201);
    expect(store.collections.require('fresh').settings.embedder).toBe('/opt/models/e5');
  });

  it('tells a confined reference from one that escapes the models folder', () => {
    const folder = '/data/models';
    const refs = [
      'Xenova/bge-small-en-v1.5',
      'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M',
      'openai:gpt-4o-mini',
      '/data/models/qwen.gguf',
      'static:/data/models/static-e5',
      '/data/models',
      '/data/models/../db.sqlite.gguf',
      '/data/models-other/x.gguf',
      '../x.gguf',
    ];
    expect(refs.map((ref) => isConfinedRef(ref, folder, '/srv/cairn'))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('new API keys', () => {
  it('read the named collections unless more is asked for by name', () => {
    expect(parseScopes(['docs', 'notes:read,write', '*:admin'])).toEqual({
      docs: ['read'],
      notes: ['read', 'write'],
      '*': ['admin'],
    });
  });

  it('are refused without a named collection instead of becoming admin of everything', async () => {
    const { dataDir, store } = setup();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['keys', 'create', 'ci', '--data', dataDir], {})).toBe(2);
      expect(String(err.mock.calls.flat().join(''))).toContain('cairn keys create needs --scope <collection> (read)');
      expect(await main(['keys', 'create', 'reader', '--scope', 'docs', '--json', '--data', dataDir], {})).toBe(0);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
    const other = openStore({ dataDir });
    expect(other.apiKeys.list().map((k) => [k.name, k.scopes])).toEqual([['reader', { docs: ['read'] }]]);
    other.close();
    expect(store.apiKeys.activeCount()).toBe(1);
  });
});

describe('last_used_at', () => {
  it('is written at most once a minute per key', () => {
    const { store } = setup();
    const { key, apiKey } = store.apiKeys.create({ name: 'k', scopes: { '*': ['read'] } });
    const lastUsed = () => store.apiKeys.list().find((k) => k.id === apiKey.id)?.lastUsedAt ?? null;
    const setLastUsed = (msAgo: number) =>
      store.db
        .prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
        .run(new Date(Date.now() - msAgo).toISOString(), apiKey.id);
    store.apiKeys.verify(key);
    expect(lastUsed()).not.toBeNull();
    setLastUsed(30_000);
    const recent = lastUsed();
    store.apiKeys.verify(key);
    store.apiKeys.verify(key);
    expect(lastUsed()).toBe(recent);
    setLastUsed(61_000);
    const before = Date.now();
    store.apiKeys.verify(key);
    expect(Date.parse(lastUsed() ?? '')).toBeGreaterThanOrEqual(before);
  });
});
