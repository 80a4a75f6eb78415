import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CairnError, type Logger, toCairnError } from '../core/index.ts';

/** The one place errors become HTTP: `{"error": {"code", "message", "details"}}` with the table's status. */
export function createErrorHandler(logger: Logger) {
  return function onError(error: Error, c: Context) {
    const cairnError = toCairnError(error);
    if (cairnError.code === 'INTERNAL') logger.error(`unhandled error: ${error.stack ?? error.message}`);
    const headers: Record<string, string> = {};
    const retryAfter = cairnError.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
    return c.json(
      { error: { code: cairnError.code, message: cairnError.message, details: cairnError.details ?? {} } },
      cairnError.status as ContentfulStatusCode,
      headers,
    );
  };
}

export function notFoundHandler(c: Context): Response {
  throw new CairnError('NOT_FOUND', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}
