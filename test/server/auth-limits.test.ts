import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../core/index.ts';
import { createTestEnv, type FakeOptions, json, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

function setup(options: { config?: ConfigInput; fakes?: FakeOptions; openWithoutKeys?: boolean } = {}): TestEnv {
  env = createTestEnv(options);
  return env;
}

const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('auth', () => {
  it('is open on loopback without keys, and closed as soon as a key exists', async () => {
    const { app, store } = setup();
    expect((await app.request('/v1/collections')).status).toBe(200);
    store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } });
    const res = await app.request('/v1/collections');
    expect(res.status).toBe(401);
    expect(await code(res)).toBe('UNAUTHORIZED');
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/openapi.json')).status).toBe(200);
  });

  it('requires a key when not bound to loopback, even with no keys', async () => {
    const { app } = setup({ openWithoutKeys: false });
    expect(await code(await app.request('/v1/collections'))).toBe('UNAUTHORIZED');
  });

  it('accepts a valid key by Bearer or X-API-Key and refuses a revoked or unknown one', async () => {
    const { app, store } = setup();
    const { key, apiKey } = store.apiKeys.create({ name: 'k', scopes: { '*': ['admin'] } });
    expect((await app.request('/v1/collections', { headers: bearer(key) })).status).toBe(200);
    expect((await app.request('/v1/collections', { headers: { 'x-api-key': key } })).status).toBe(200);
    expect(await code(await app.request('/v1/collections', { headers: bearer('cairn_wrong') }))).toBe('UNAUTHORIZED');
    store.apiKeys.revoke(apiKey.id);
    store.apiKeys.create({ name: 'other', scopes: {} });
    const revoked = await app.request('/v1/collections', { headers: bearer(key) });
    expect(revoked.status).toBe(401);
    expect(await code(revoked)).toBe('UNAUTHORIZED');
  });

  it('enforces read, write and admin scopes per collection', async () => {
    const { app, store } = setup();
    store.collections.create({ name: 'public' });
    store.collections.create({ name: 'secret' });
    const reader = store.apiKeys.create({ name: 'reader', scopes: { public: ['read'] } }).key;
    const writer = store.apiKeys.create({ name: 'writer', scopes: { public: ['write'] } }).key;
    const list = (await (await app.request('/v1/collections', { headers: bearer(reader) })).json()) as {
      collections: { id: string }[];
    };
    expect(list.collections.map((c) => c.id)).toEqual(['public']);
    const models = (await (await app.request('/v1/models', { headers: bearer(reader) })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['public']);
    const secret = await app.request('/v1/collections/secret/search', {
      ...json({ query: 'x' }),
      headers: { ...bearer(reader), 'content-type': 'application/json' },
    });
    expect(secret.status).toBe(403);
    expect(await code(secret)).toBe('FORBIDDEN');
    const write = await app.request('/v1/collections/public/documents', {
      ...json({ text: 'x' }),
      headers: { ...bearer(reader), 'content-type': 'application/json' },
    });
    expect(await code(write)).toBe('FORBIDDEN');
    const ok = await app.request('/v1/collections/public/documents', {
      ...json({ text: 'x' }),
      headers: { ...bearer(writer), 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(202);
    expect(
      (
        await app.request('/v1/collections/public/search', {
          ...json({ query: 'x' }),
          headers: { ...bearer(writer), 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(200);
    const del = await app.request('/v1/collections/public', { method: 'DELETE', headers: bearer(writer) });
    expect(await code(del)).toBe('FORBIDDEN');
    expect(await code(await app.request('/metrics', { headers: bearer(writer) }))).toBe('FORBIDDEN');
  });
});

describe('job cancel and re-ingest scopes', () => {
  it('need write on the collection; an unknown job is JOB_NOT_FOUND', async () => {
    const { app, store, deps } = setup({ fakes: { ingestDelayMs: 200 } });
    store.collections.create({ name: 'public' });
    const reader = store.apiKeys.create({ name: 'reader', scopes: { public: ['read'] } }).key;
    const writer = store.apiKeys.create({ name: 'writer', scopes: { public: ['write'] } }).key;
    const posted = await app.request('/v1/collections/public/documents', {
      ...json({ text: 'x', source: 'note' }),
      headers: { ...bearer(writer), 'content-type': 'application/json' },
    });
    const { jobId } = (await posted.json()) as { jobId: string };
    const post = (path: string, key: string) => app.request(path, { method: 'POST', headers: bearer(key) });
    const refused = await post(`/v1/jobs/${jobId}/cancel`, reader);
    expect([refused.status, await code(refused)]).toEqual([403, 'FORBIDDEN']);
    const missing = await post('/v1/jobs/job_nope/cancel', writer);
    expect([missing.status, await code(missing)]).toEqual([404, 'JOB_NOT_FOUND']);
    await deps.jobs.idle();
    const doc = store.documents.findBySource('public', 'note');
    const reingest = await post(`/v1/collections/public/documents/${doc?.id}/reingest`, reader);
    expect([reingest.status, await code(reingest)]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('limits', () => {
  it('answers 429 with Retry-After once a key exceeds its rate', async () => {
    const { app } = setup({ config: { server: { rateLimitPerMinute: 3 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.request('/v1/collections')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.request('/v1/collections');
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(await code(limited)).toBe('RATE_LIMITED');
    expect((await app.request('/health')).status).toBe(200);
  });

  it('answers 413 for a body over the limit', async () => {
    const { app } = setup({ config: { server: { maxBodyBytes: 100 } } });
    const res = await app.request('/v1/collections/a/documents', json({ text: 'x'.repeat(200) }));
    expect(res.status).toBe(413);
    expect(await code(res)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 413 for a file over the per-file limit and for too many files', async () => {
    const { app } = setup({ config: { server: { maxFileBytes: 10, maxFilesPerRequest: 2 } } });
    const big = new FormData();
    big.append('files', new File(['x'.repeat(11)], 'big.txt'));
    const res = await app.request('/v1/collections/a/documents', { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { details: unknown } }).error.details).toEqual({ file: 'big.txt', limit: 10 });
    const many = new FormData();
    for (const name of ['a', 'b', 'c']) many.append('files', new File(['x'], name));
    expect(await code(await app.request('/v1/collections/a/documents', { method: 'POST', body: many }))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('caps the decompressed size of a ZIP container such as DOCX', async () => {
    const { app, deps } = setup({ config: { server: { maxDecompressedBytes: 1000 } } });
    const bomb = new FormData();
    bomb.append('files', new File([zipOf('word/document.xml', 'a'.repeat(5000))], 'bomb.docx'));
    const res = await app.request('/v1/collections/a/documents', { method: 'POST', body: bomb });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'bomb.docx decompresses to more than 1000 bytes',
    );
    const small = new FormData();
    small.append('files', new File([zipOf('word/document.xml', 'a'.repeat(500))], 'small.docx'));
    expect((await app.request('/v1/collections/a/documents', { method: 'POST', body: small })).status).toBe(202);
    await deps.jobs.idle();
  });

  it('queues asks over the concurrency limit and refuses past the queue with 503', async () => {
    const { app, store } = setup({ config: { server: { maxConcurrentAsks: 1, maxQueuedAsks: 1 } }, fakes: { tokenDelayMs: 30 } });
    store.collections.create({ name: 'c' });
    const ask = () => app.request('/v1/collections/c/ask', json({ question: 'anything' }));
    const [first, second, third] = await Promise.all([ask(), ask(), ask()]);
    expect([first?.status, second?.status, third?.status].sort()).toEqual([200, 200, 503]);
    const refused = [first, second, third].find((r) => r?.status === 503) as Response;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await code(refused)).toBe('OVERLOADED');
  });

  it('answers 504 when a request outlives the timeout', async () => {
    const { app, store } = setup({ config: { server: { requestTimeoutMs: 50 } }, fakes: { tokenDelayMs: 40 } });
    store.collections.create({ name: 'c' });
    const res = await app.request('/v1/collections/c/ask', json({ question: 'anything' }));
    expect(res.status).toBe(504);
    expect(await code(res)).toBe('TIMEOUT');
  });

  it('sends heartbeats on a quiet event stream', async () => {
    const { app, store } = setup({ config: { server: { sseHeartbeatMs: 20 } }, fakes: { ingestDelayMs: 120 } });
    store.collections.create({ name: 'c' });
    const res = await app.request('/v1/collections/c/documents', json({ text: 'slow' }));
    const { jobId } = (await res.json()) as { jobId: string };
    const text = await (await app.request(`/v1/jobs/${jobId}/events`)).text();
    expect(text).toContain(': ping\n\n');
    expect(text.match(/^event: (\w+)$/gm)?.at(-1)).toBe('event: done');
  });

  it('sends CORS headers for configured origins only', async () => {
    const { app } = setup({ config: { server: { corsOrigins: ['https://site.example'] } } });
    const ok = await app.request('/v1/collections', { headers: { origin: 'https://site.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://site.example');
    const other = await app.request('/v1/collections', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** A one-entry ZIP with a deflated member, enough for the decompression guard. */
function zipOf(name: string, content: string): Uint8Array<ArrayBuffer> {
  const data = deflateRawSync(Buffer.from(content));
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(1, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const centralStart = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralStart, 16);
  return new Uint8Array(Buffer.concat([local, nameBytes, data, central, nameBytes, end]));
}
