import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseScopes } from '../../cli/commands/keys.ts';
import { isCairnError, parseConfig } from '../../core/index.ts';
import { archiveLimits, guardZip } from '../../indexer/index.ts';
import { buildOpenApi, createMetrics, isLoopback, toJsonSchema } from '../../server/index.ts';
import { createConcurrencyLimiter, createRateLimit } from '../../server/middleware/limits.ts';
import { sourcesBlock } from '../../server/routes/openai.ts';
import { safeFileName } from '../../server/uploads.ts';

describe('zod → OpenAPI', () => {
  it('converts a schema as the client sends it, without $schema', () => {
    const schema = z.strictObject({ q: z.string().min(1), k: z.number().int().default(5) });
    expect(toJsonSchema(schema)).toEqual({
      type: 'object',
      properties: {
        q: { type: 'string', minLength: 1 },
        k: { type: 'integer', default: 5, minimum: -9007199254740991, maximum: 9007199254740991 },
      },
      required: ['q'],
      additionalProperties: false,
    });
  });

  it('turns a query schema into parameters and path braces into path parameters', () => {
    const spec = buildOpenApi(
      [
        {
          method: 'get',
          path: '/v1/things/{id}',
          summary: 's',
          tag: 't',
          query: z.strictObject({ limit: z.coerce.number().optional() }),
        },
      ],
      '1.0.0',
    ) as { paths: Record<string, { get: { parameters: { name: string; in: string; required: boolean }[] } }> };
    const params = spec.paths['/v1/things/{id}']?.get.parameters.map((p) => [p.name, p.in, p.required]);
    expect(params).toEqual([
      ['id', 'path', true],
      ['limit', 'query', false],
    ]);
  });
});

describe('metrics', () => {
  it('renders counters, a histogram and gauges in Prometheus text', () => {
    const metrics = createMetrics();
    metrics.observeRequest('GET', '/a"b', 200, 0.003);
    metrics.countIngest('added', 2);
    const text = metrics.render({ cairn_queue: { help: 'q', value: 3 } });
    expect(text).toContain('cairn_http_requests_total{method="GET",route="/a\\"b",status="200"} 1');
    expect(text).toContain('cairn_http_request_duration_seconds_bucket{method="GET",route="/a\\"b",le="0.0025"} 0');
    expect(text).toContain('cairn_http_request_duration_seconds_bucket{method="GET",route="/a\\"b",le="0.005"} 1');
    expect(text).toContain('cairn_ingest_documents_total{outcome="added"} 2');
    expect(text).toContain('# TYPE cairn_queue gauge\ncairn_queue 3');
  });
});

describe('limits', () => {
  it('runs in order, queues, refuses past the queue, and forgets an aborted waiter', async () => {
    const limiter = createConcurrencyLimiter(1, 1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    const refused = await limiter.acquire().catch((e: unknown) => e);
    expect(isCairnError(refused, 'OVERLOADED')).toBe(true);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(limiter.queued()).toBe(0);
    release();
    release();
    expect(limiter.active()).toBe(0);
  });

  it('refills the rate bucket continuously', async () => {
    let now = 0;
    const limit = createRateLimit(60, () => now);
    const c = { get: () => ({ kind: 'open' }) } as never;
    const next = async () => {};
    for (let i = 0; i < 60; i++) await limit(c, next);
    // The limiter refuses synchronously (hono's compose catches a throw as it does a rejection).
    const error = await (async () => limit(c, next))().catch((e: unknown) => e);
    expect(isCairnError(error, 'RATE_LIMITED')).toBe(true);
    expect((error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBe(1);
    now = 1000;
    await expect(limit(c, next)).resolves.toBeUndefined();
  });
});

describe('edge helpers', () => {
  it('reduces upload names to display names', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\me\\report.docx')).toBe('report.docx');
    expect(safeFileName('..')).toBe('upload');
    expect(safeFileName('a\u0000b\n.txt')).toBe('ab.txt');
  });

  it('refuses a damaged ZIP container', async () => {
    const notZip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]);
    const error = await guardZip(notZip, 'x.docx', archiveLimits(parseConfig({}).server)).catch((e: unknown) => e);
    expect(isCairnError(error, 'LOADER_FAILED')).toBe(true);
  });

  it('lists each cited source once in the sources block', () => {
    const cite = { chunkId: 'c', documentId: 'd', start: 0, end: 1, quote: 'q' };
    const block = sourcesBlock([
      { ...cite, marker: 1, source: 'a.pdf', title: 'A', page: 3 },
      { ...cite, marker: 1, source: 'a.pdf', title: 'A', page: 3 },
      { ...cite, marker: 2, source: 'b.txt', title: '', page: null },
    ]);
    expect(block).toBe('\n\nSources:\n[1] A — a.pdf, p. 3\n[2] b.txt');
  });

  it('parses key scopes and knows loopback addresses', () => {
    expect(parseScopes(['docs:read,write', '*:read', 'docs:admin'])).toEqual({ docs: ['read', 'write', 'admin'], '*': ['read'] });
    expect(parseScopes(['docs'])).toEqual({ docs: ['read'] });
    expect(() => parseScopes(['docs:owner'])).toThrow('must look like');
    expect(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '192.168.1.2'].map(isLoopback)).toEqual([true, true, true, false, false]);
  });
});
