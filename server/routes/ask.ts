import { Hono } from 'hono';
import { askOnce, askStream } from '../ask-runner.ts';
import type { AppDeps } from '../deps.ts';
import { type AppEnv, requestSignal } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';
import { askSchema } from '../schemas.ts';
import type { AskCall } from '../services.ts';
import { param, parseJsonBody, pickDefined } from '../validate.ts';

export const askDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/collections/{collection}/ask',
    summary:
      'Answer a question with citations and reflection verdicts; events `retrieved`, `reflection`, `token` (released sentences; `draft: true` only with answer.stream "draft"), `citation`, `final`, `done`, `error` when streaming',
    tag: 'Search and ask',
    body: askSchema,
    scope: 'read',
    stream: true,
    responses: { 200: 'The answer result, or its event stream', 400: 'Invalid request', 503: 'Too many answers queued' },
  },
];

export function createAskRoutes(deps: AppDeps, limiter: ConcurrencyLimiter) {
  return new Hono<AppEnv>().post('/', async (c) => {
    const name = param(c, 'collection');
    requireScope(c, name, 'read');
    const body = await parseJsonBody(c, askSchema);
    const collection = await deps.store.collections.require(name);
    const call: AskCall = {
      collection: collection.id,
      question: body.question,
      ...pickDefined(body, ['chatId', 'reflect', 'retrieve', 'filter', 'k'] as const),
    };
    const wantsStream = body.stream === true || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!wantsStream) return c.json(await askOnce(deps, limiter, call, requestSignal(c)));
    let doneSent = false;
    return askStream(
      c,
      deps,
      limiter,
      call,
      async (sink, event) => {
        if (event.type === 'done') doneSent = true;
        await sink.send(event, event.type);
      },
      async (sink, result) => {
        if (!doneSent) await sink.send({ type: 'done', result }, 'done');
      },
    );
  });
}
