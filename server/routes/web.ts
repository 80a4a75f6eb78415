import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { ensureWebApp, WEB_DIST } from '../../web/build.ts';
import type { AppEnv } from '../env.ts';
import type { RouteDoc } from '../openapi.ts';

export const webDocs: RouteDoc[] = [{ method: 'get', path: '/', summary: 'The chat web app', tag: 'Operations' }];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** A file of the built app, or null for anything outside web/dist/assets. */
async function asset(name: string): Promise<Response | null> {
  if (!/^[\w.-]+$/.test(name)) return null;
  const type = TYPES[path.extname(name)];
  if (!type) return null;
  const body = await readFile(path.join(WEB_DIST, 'assets', name)).catch(() => null);
  // Vite names assets by their content's hash, so a name never changes meaning.
  return (
    body && new Response(body, { headers: { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' } })
  );
}

/** The chat app, built by Vite (web/): index.html at /, its hashed assets under /ui/assets/. */
export function createWebRoutes() {
  return new Hono<AppEnv>()
    .get('/', async () => {
      await ensureWebApp();
      const html = await readFile(path.join(WEB_DIST, 'index.html'));
      return new Response(html, { headers: { 'content-type': TYPES['.html'] ?? 'text/html', 'cache-control': 'no-cache' } });
    })
    .get('/ui/assets/:file', async (c) => (await asset(c.req.param('file'))) ?? c.notFound());
}
