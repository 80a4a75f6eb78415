import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import type { RouteDoc } from '../openapi.ts';

export const webDocs: RouteDoc[] = [{ method: 'get', path: '/', summary: 'The chat UI', tag: 'Operations' }];

const WEB_DIR = new URL('../../web/', import.meta.url);
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** The chat UI's few static files, read once at start: plain modules over the REST API, no build step. */
export function createWebRoutes() {
  const cache = new Map(Object.keys(FILES).map((name) => [name, readFileSync(new URL(name, WEB_DIR), 'utf8')]));
  const send = (name: string) =>
    new Response(cache.get(name) ?? '', { headers: { 'content-type': FILES[name] ?? 'text/plain' } });
  return new Hono<AppEnv>()
    .get('/', () => send('index.html'))
    .get('/ui/:file', (c) => {
      const name = c.req.param('file');
      return cache.has(name) ? send(name) : c.notFound();
    });
}
