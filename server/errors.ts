import type { Context } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CairnError, type Logger, toCairnError } from '../core/index.ts';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown>; requestId?: string };
}

/** The one error shape on the wire, for JSON responses and for `error` events of a stream. */
export function errorBody(error: unknown, logger?: Logger): ErrorBody {
  const cairnError = toCairnError(error);
  if (cairnError.code === 'INTERNAL') logger?.error(`unhandled error: ${(error as Error)?.stack ?? cairnError.message}`);
  return { error: { code: cairnError.code, message: cairnError.message, details: cairnError.details ?? {} } };
}

/** Adds the request's id (set by hono's request-id middleware): the id a log line and a user's report can share. */
export function withRequestId(body: ErrorBody, c: Context): ErrorBody {
  const requestId = (c as Context<{ Variables: RequestIdVariables }>).get('requestId');
  if (requestId) body.error.requestId = requestId;
  return body;
}

/** The one place errors become HTTP: `{"error": {"code", "message", "details"}}` with the table's status. */
export function createErrorHandler(logger: Logger) {
  return function onError(error: Error, c: Context) {
    const cairnError = toCairnError(error);
    const headers: Record<string, string> = {};
    const retryAfter = cairnError.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
    return c.json(withRequestId(errorBody(error, logger), c), cairnError.status as ContentfulStatusCode, headers);
  };
}

export function notFoundHandler(c: Context): Response {
  throw new CairnError('NOT_FOUND', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}
