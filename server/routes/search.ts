import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
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

export function createSearchRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post('/', async (c) => {
    const name = param(c, 'collection');
    requireScope(c, name, 'read');
    const body = await parseJsonBody(c, searchSchema);
    const collection = deps.store.collections.require(name);
    const call: SearchCall = {
      collection: collection.id,
      query: body.query,
      ...pickDefined(body, ['mode', 'k', 'rerank', 'filter', 'contextWindow'] as const),
    };
    return c.json(await deps.services.search(call));
  });
}
