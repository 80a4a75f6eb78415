import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../../core/index.ts';
import { createRequestTimeout } from '../../server/middleware/limits.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An app whose one route waits `?ms=` before answering, behind a 60 ms request timeout. */
function slowApp() {
  const app = new Hono();
  app.onError((error, c) => c.text(error instanceof CairnError ? error.code : 'OTHER', 504));
  app.use(createRequestTimeout(60));
  app.get('/', async (c) => {
    await sleep(Number(c.req.query('ms')));
    return c.text('answered');
  });
  return app;
}

async function outcome(app: Hono, ms: number): Promise<string> {
  const res = await app.request(`/?ms=${ms}`);
  return `${res.status} ${await res.text()}`;
}

describe('request timeout (one shared deadline queue)', () => {
  it('times out only the requests that outlive it, whatever order they finish in', async () => {
    const app = slowApp();
    const results = await Promise.all([outcome(app, 150), outcome(app, 5), outcome(app, 150), outcome(app, 20)]);
    expect(results).toEqual(['504 TIMEOUT', '200 answered', '504 TIMEOUT', '200 answered']);
  });

  it('still times out a request that arrives after earlier ones answered', async () => {
    const app = slowApp();
    expect(await outcome(app, 1)).toBe('200 answered');
    await sleep(80); // past the first request's deadline: its entry is gone, not a stale timer
    expect(await outcome(app, 150)).toBe('504 TIMEOUT');
    expect(await outcome(app, 1)).toBe('200 answered');
  });

  it('passes on what the handler throws', async () => {
    const app = new Hono();
    app.onError((error, c) => c.text(error.message, 500));
    app.use(createRequestTimeout(60));
    app.get('/', () => {
      throw new Error('broken');
    });
    const res = await app.request('/');
    expect([res.status, await res.text()]).toEqual([500, 'broken']);
  });
});
