import { afterEach, describe, expect, it } from 'vitest';
import { Cairn, type ServiceUnavailableError } from '../../sdk/index.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

function post(e: TestEnv, path: string, body: unknown) {
  return e.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const jobCount = (e: TestEnv) => e.store.db.prepare('SELECT count(*) AS n FROM jobs').get();

describe('URL ingest over REST while offline', () => {
  it('is refused at the request with 503 OFFLINE, and no job is made', async () => {
    env = createTestEnv({ config: { offline: true } });
    env.store.collections.create({ name: 'docs' });
    const res = await post(env, '/v1/collections/docs/documents', { urls: ['https://example.com/'] });
    const body = (await res.json()) as { error: { code: string; details: unknown } };
    expect([res.status, body.error.code, body.error.details]).toEqual([503, 'OFFLINE', { urls: 1 }]);
    expect(jobCount(env)).toEqual({ n: 0 });
    // Texts need no network and are still taken.
    expect((await post(env, '/v1/collections/docs/documents', { text: 'Cairns mark trails.' })).status).toBe(202);
  });

  it('is refused for the SDK too, and a URL document is not re-ingested', async () => {
    env = createTestEnv({ config: { offline: true } });
    const e = env;
    e.store.collections.create({ name: 'docs' });
    const stored = await e.deps.services.ingest({ collection: 'docs', sources: ['https://example.com/a'] });
    const fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
      e.app.request(String(input), init)) as typeof globalThis.fetch;
    const cairn = new Cairn({ baseUrl: 'http://127.0.0.1', fetch, maxRetries: 0 });
    const refused = (await cairn.documents
      .add('docs', { urls: ['https://example.com/b'] })
      .catch((x) => x)) as ServiceUnavailableError;
    const again = (await cairn.documents
      .reingest('docs', stored.documents[0]?.id ?? '')
      .catch((x) => x)) as ServiceUnavailableError;
    expect([refused.status, refused.code, again.status, again.code]).toEqual([503, 'OFFLINE', 503, 'OFFLINE']);
    expect(jobCount(e)).toEqual({ n: 0 });
  });

  it('is accepted as a job when online', async () => {
    env = createTestEnv();
    env.store.collections.create({ name: 'docs' });
    const res = await post(env, '/v1/collections/docs/documents', { urls: ['https://example.com/'] });
    expect(res.status).toBe(202);
    expect(jobCount(env)).toEqual({ n: 1 });
  });
});
