import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebApp } from '../../web/build.ts';
import { createTestEnv, type TestEnv } from '../server/helpers.ts';
import { freshWebApp } from './app-helpers.ts';

// The built chat app served by the server: index.html at /, hashed assets under /ui/assets/ that
// need no key (code, no data), and a build made on first use where none exists.
let env: TestEnv;
let scratch: string;

beforeAll(async () => {
  await freshWebApp();
  env = createTestEnv({ openWithoutKeys: false });
  env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-web-build-'));
}, 60_000);

afterAll(async () => {
  await env?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('serving the chat app', () => {
  it('serves index.html at / and its hashed assets without a key, cached for good', async () => {
    const page = await env.app.request('/');
    expect([page.status, page.headers.get('content-type'), page.headers.get('cache-control')]).toEqual([
      200,
      'text/html; charset=utf-8',
      'no-cache',
    ]);
    const html = await page.text();
    const script = /<script type="module" crossorigin src="(\/ui\/assets\/index-[\w-]+\.js)"><\/script>/.exec(html)?.[1];
    const style = /<link rel="stylesheet" crossorigin href="(\/ui\/assets\/index-[\w-]+\.css)">/.exec(html)?.[1];
    for (const [asset, type] of [
      [script, 'text/javascript; charset=utf-8'],
      [style, 'text/css; charset=utf-8'],
    ]) {
      const response = await env.app.request(asset ?? 'missing');
      expect([response.status, response.headers.get('content-type'), response.headers.get('cache-control')]).toEqual([
        200,
        type,
        'public, max-age=31536000, immutable',
      ]);
    }
  });

  it('answers 404 for what is not an asset, and still asks for a key everywhere else', async () => {
    const statuses = await Promise.all(
      ['/ui/assets/nope.js', '/ui/assets/..%2F..%2Fpackage.json', '/ui/assets/index.html', '/ui/app.js'].map(
        async (url) => (await env.app.request(url)).status,
      ),
    );
    expect(statuses).toEqual([404, 404, 404, 401]);
    expect((await env.app.request('/v1/collections')).status).toBe(401);
  });

  it('builds the app on first use where no build exists, once', async () => {
    await Promise.all([ensureWebApp(scratch), ensureWebApp(scratch)]);
    const built = readdirSync(path.join(scratch, 'assets')).filter((name) => /^index-[\w-]+\.js$/.test(name));
    expect(built).toHaveLength(1);
    const first = statSync(path.join(scratch, 'index.html')).mtimeMs;
    await ensureWebApp(scratch);
    expect(statSync(path.join(scratch, 'index.html')).mtimeMs).toBe(first);
  }, 60_000);
});
