import { Hono } from 'hono';
import { VERSION } from '../../core/index.ts';
import { DOCS_PAGE } from '../docs-page.ts';
import type { AppEnv } from '../env.ts';
import { buildOpenApi, type RouteDoc } from '../openapi.ts';

export const docsDocs: RouteDoc[] = [
  { method: 'get', path: '/openapi.json', summary: 'This description', tag: 'Operations' },
  { method: 'get', path: '/docs', summary: 'A page that renders this description', tag: 'Operations' },
];

export function createDocsRoutes(docs: RouteDoc[]) {
  const spec = buildOpenApi(docs, VERSION);
  return new Hono<AppEnv>().get('/openapi.json', (c) => c.json(spec)).get('/docs', (c) => c.html(DOCS_PAGE));
}
