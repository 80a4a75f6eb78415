import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../sdk/errors.ts';
import { retryDelayMs } from '../../sdk/http.ts';
import {
  AbortError,
  AuthError,
  Cairn,
  ConnectionError,
  ConnectionTimeoutError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '../../sdk/index.ts';
import { errorResponse, jsonResponse, type SdkServer, scriptedFetch, startSdkServer } from './helpers.ts';

const BASE = 'http://cairn.test';
const health = () => jsonResponse(200, { status: 'ok' });

describe('retries', () => {
  it('retries 503 and 429 after the Retry-After the server asks for, then succeeds', async () => {
    const { fetch, calls } = scriptedFetch([
      errorResponse(503, 'OVERLOADED', { 'retry-after': '0.05' }),
      errorResponse(429, 'RATE_LIMITED', { 'retry-after': '0.05' }),
      health(),
    ]);
    const started = performance.now();
    const result = await new Cairn({ baseUrl: BASE, fetch }).health();
    expect([result.status, calls.length]).toEqual(['ok', 3]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('retries connection errors with backoff, up to maxRetries, then throws ConnectionError', async () => {
    const { fetch, calls } = scriptedFetch([new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const error = await new Cairn({ baseUrl: BASE, fetch, maxRetries: 1 }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect([(error as ConnectionError).code, (error as ConnectionError).status, calls.length]).toEqual([
      'CONNECTION',
      undefined,
      2,
    ]);
  });

  it('does not retry other errors, and hands out the status, code, details and request id', async () => {
    const body = { error: { code: 'VALIDATION', message: 'Invalid request body: query: too short', details: { issues: [] } } };
    const { fetch, calls } = scriptedFetch([jsonResponse(400, body, { 'x-request-id': 'req-7' })]);
    const error = await new Cairn({ baseUrl: BASE, fetch }).search('c', { query: 'q' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION',
      details: { issues: [] },
      requestId: 'req-7',
      retryAfter: undefined,
    });
    expect(calls.length).toBe(1);
  });

  it('gives up at once when Retry-After is longer than a minute, with retryAfter set', async () => {
    const { fetch, calls } = scriptedFetch([errorResponse(503, 'OVERLOADED', { 'retry-after': '120' })]);
    const error = await new Cairn({ baseUrl: BASE, fetch }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect([(error as ServiceUnavailableError).retryAfter, calls.length]).toEqual([120, 1]);
  });

  it('stops waiting when the signal aborts during a backoff', async () => {
    const { fetch, calls } = scriptedFetch([errorResponse(503, 'OVERLOADED', { 'retry-after': '30' }), health()]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await new Cairn({ baseUrl: BASE, fetch }).health({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(calls.length).toBe(1);
  });

  it('times out a silent server per attempt and retries the timeout', async () => {
    const hang = () =>
      new Promise<Response>((_resolve, reject) => {
        const signal = hangingCalls.at(-1)?.signal;
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    const hangingCalls: { signal: AbortSignal }[] = [];
    const fetch = ((_input: RequestInfo | URL, init?: RequestInit) => {
      hangingCalls.push({ signal: init?.signal as AbortSignal });
      return hang();
    }) as typeof globalThis.fetch;
    const error = await new Cairn({ baseUrl: BASE, fetch, timeoutMs: 20, maxRetries: 1 }).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionTimeoutError);
    expect([(error as ConnectionTimeoutError).code, hangingCalls.length]).toEqual(['CONNECTION_TIMEOUT', 2]);
  });

  it('keeps one Idempotency-Key across the retries of one ingest, and a new one per call', async () => {
    const accepted = { jobId: 'j1', status: 'queued', job: {} };
    const { fetch, calls } = scriptedFetch([
      errorResponse(503, 'OVERLOADED', { 'retry-after': '0' }),
      jsonResponse(202, accepted),
      jsonResponse(202, accepted),
    ]);
    const cairn = new Cairn({ baseUrl: BASE, fetch, apiKey: 'secret' });
    await cairn.documents.add('c', { text: 'x' });
    await cairn.documents.add('c', { text: 'x' });
    const keys = calls.map((c) => c.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^cairn-sdk-[0-9a-f]{32}$/);
    expect([keys[1] === keys[0], keys[2] === keys[0]]).toEqual([true, false]);
    expect(calls.map((c) => [c.headers.get('content-type'), c.headers.get('authorization')])).toEqual(
      Array(3).fill(['application/json', 'Bearer secret']),
    );
  });

  it('backs off exponentially with up to a quarter of jitter, capped at 8 s', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, undefined, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(retryDelayMs(1, undefined, () => 1)).toBe(750);
    expect(retryDelayMs(3, 2)).toBe(2000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect([
      parseRetryAfter('3', now),
      parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now),
      parseRetryAfter(null, now),
    ]).toEqual([3, 10, undefined]);
  });
});

describe('limits of a real server', () => {
  let running: SdkServer;
  beforeAll(async () => {
    running = await startSdkServer({ config: { server: { rateLimitPerMinute: 1 } } });
  });
  afterAll(() => running.close());

  it('turns the 429 into a RateLimitError with retryAfter', async () => {
    const cairn = new Cairn({ baseUrl: running.url, maxRetries: 0 });
    await cairn.collections.list();
    const error = await cairn.collections.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfter: 60 });
  });

  it('turns a 401 into an AuthError once keys exist', async () => {
    running.server.embedded!.apiKeys.create({ name: 'k', scopes: { '*': ['admin'] } });
    const error = await new Cairn({ baseUrl: running.url, maxRetries: 0 }).jobs.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
