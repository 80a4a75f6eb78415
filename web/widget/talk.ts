import { Cairn, CairnError } from '../../sdk/index.ts';
import type { Strings } from './i18n.ts';

/**
 * The widget's client: the SDK with the embed key and the visitor's session id on every request.
 * No retries: a 429 is told to the visitor with its wait instead of being waited out in silence.
 */
export function createWidgetClient(server: string, apiKey: string, visitor: string): Cairn {
  return new Cairn({ baseUrl: server, apiKey, maxRetries: 0, defaultHeaders: { 'x-cairn-visitor': visitor } });
}

/** The visitor stopped the answer (the Stop button, a reset, the element leaving the page). */
export function isAbort(error: unknown): boolean {
  return (error as Error)?.name === 'AbortError' || (error instanceof CairnError && error.code === 'ABORTED');
}

/** A refusal or failure in the visitor's words. */
export function explain(error: unknown, strings: Strings): string {
  if (!(error instanceof CairnError)) return strings.failed(String((error as Error)?.message ?? error));
  if (error.code === 'ORIGIN_NOT_ALLOWED' || error.code === 'EMBED_ORIGIN_NOT_ALLOWED')
    return strings.notAllowed(location.origin);
  if (error.code === 'RATE_LIMITED') return strings.rateLimited(Math.ceil(error.retryAfter ?? 30));
  if (error.status === 401) return strings.badKey;
  if (error.code === 'CONNECTION' || error.code === 'CONNECTION_TIMEOUT') return strings.unreachable;
  return strings.failed(error.message);
}
