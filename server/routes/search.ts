import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { encodeJson } from '../json-bytes.ts';
import { requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { searchSchema } from '../schemas.ts';
import type { SearchCall } from '../services.ts';
import { param, parseJsonBody, pickDefined } from '../validate.ts';

export const searchDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/collections/{collection}/search',
    summary: 'Search: BM25, dense or hybrid, with reranking, filters and context windows',
    tag: 'Search and ask',
    body: searchSchema,
    scope: 'read',
    responses: { 200: 'Passages, the stages that ran, notes and timings', 400: 'Invalid request', 404: 'No such collection' },
  },
];

const JSON_TYPE = { 'content-type': 'application/json' };

export function createSearchRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post('/', async (c) => {
    const name = param(c, 'collection');
    requireScope(c, name, 'read');
    const body = await parseJsonBody(c, searchSchema);
    // Collection ids are their names; the search itself answers COLLECTION_NOT_FOUND.
    const call: SearchCall = {
      collection: name,
      query: body.query,
      ...pickDefined(body, ['mode', 'k', 'rerank', 'filter', 'contextWindow'] as const),
    };
    // A worker hands back encoded JSON: the server's thread only writes it out.
    if (deps.searchPool?.available) return c.body(await deps.searchPool.searchJson(call), 200, JSON_TYPE);
    return c.body(encodeJson(await deps.services.search(call)), 200, JSON_TYPE);
  });
}
