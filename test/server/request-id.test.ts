import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { afterEach, describe, expect, it } from 'vitest';
import { CairnError, silentLogger } from '../../core/index.ts';
import { Cairn, NotFoundError } from '../../sdk/index.ts';
import { sseResponse } from '../../server/sse.ts';
import { startSdkServer } from '../sdk/helpers.ts';
import { createTestEnv, json, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('every response carries a fresh X-Request-Id, successes and refusals alike', async () => {
    env = createTestEnv();
    const health = await env.app.request('/health');
    const missing = await env.app.request('/v1/collections/none');
    const ids = [health.headers.get('x-request-id'), missing.headers.get('x-request-id')];
    expect([health.status, missing.status]).toEqual([200, 404]);
    expect(ids.map((id) => UUID.test(id ?? ''))).toEqual([true, true]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('an error body names the request id of its header', async () => {
    env = createTestEnv();
    const res = await env.app.request('/v1/collections', json({ name: 'Bad Name!' }));
    const id = res.headers.get('x-request-id');
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect([res.status, body.error.code, body.error.requestId]).toEqual([400, 'VALIDATION', id]);
  });

  it("keeps a caller's well-formed id and replaces a malformed one", async () => {
    env = createTestEnv();
    const kept = await env.app.request('/health', { headers: { 'x-request-id': 'trace-42_a=' } });
    const replaced = await env.app.request('/health', { headers: { 'x-request-id': 'bad id; drop table' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-42_a=');
    expect(UUID.test(replaced.headers.get('x-request-id') ?? '')).toBe(true);
  });

  it("reaches the SDK's CairnError.requestId over a real socket", async () => {
    const running = await startSdkServer();
    try {
      const cairn = new Cairn({ baseUrl: running.url, maxRetries: 0 });
      const error = await cairn.collections.get('absent').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(UUID.test((error as NotFoundError).requestId ?? '')).toBe(true);
    } finally {
      await running.close();
    }
  });
});

describe('request ids across origins', () => {
  it('are readable by pages of configured origins and of embed keys', async () => {
    env = createTestEnv({ config: { server: { corsOrigins: ['https://app.example'] } } });
    const app = await env.app.request('/health', { headers: { origin: 'https://app.example' } });
    expect(app.headers.get('access-control-expose-headers')).toBe('Retry-After,Location,X-Request-Id');
    env.store.collections.create({ name: 'docs' });
    const embed = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: ['https://site.example'] }).key;
    const res = await env.app.request('/v1/collections/docs/search', {
      ...json({ query: 'cairns' }),
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${embed}`,
        origin: 'https://site.example',
        'sec-fetch-site': 'cross-site',
        'x-cairn-visitor': 'visitor_aaaaaaaa',
      },
    });
    expect([res.status, res.headers.get('access-control-expose-headers')]).toEqual([200, 'Retry-After, X-Request-Id']);
  });
});

describe('request ids in event streams', () => {
  it("an error event of a stream carries the response's request id", async () => {
    const app = new Hono();
    app.use(requestId());
    app.get('/stream', (c) =>
      sseResponse(c, { heartbeatMs: 60_000, logger: silentLogger }, async () => {
        throw new CairnError('OVERLOADED', 'busy');
      }),
    );
    const res = await app.request('/stream', { headers: { 'x-request-id': 'req-sse' } });
    expect(res.headers.get('x-request-id')).toBe('req-sse');
    expect(await res.text()).toBe(
      'event: error\ndata: {"error":{"code":"OVERLOADED","message":"busy","details":{},"requestId":"req-sse"}}\n\n',
    );
  });
});
