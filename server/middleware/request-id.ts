import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';

const HEADER = 'X-Request-Id';
const MAX_LENGTH = 255;
const WELL_FORMED = /^[\w\-=]+$/;

/**
 * Names every request (hono's request-id rules: a caller's id of at most 255 word characters,
 * `-` and `=` is kept, else a fresh UUID) and puts the id on its response, refusals included.
 * Under the node adapter the header goes straight onto Node's response: a header set through
 * hono makes every response build a Headers object that the adapter then copies back out, a
 * cost each request paid for this one header.
 */
export function createRequestId(): MiddlewareHandler {
  return function requestId(c, next) {
    const given = c.req.header(HEADER);
    const id = given && given.length <= MAX_LENGTH && WELL_FORMED.test(given) ? given : crypto.randomUUID();
    c.set('requestId', id);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent) outgoing.setHeader(HEADER, id);
    else c.header(HEADER, id);
    return next();
  };
}
