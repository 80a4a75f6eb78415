import type { ServerErrorCode } from './types.ts';

/** A server code, or one of the SDK's own for failures that never reached an answer. */
export type CairnErrorCode = ServerErrorCode | 'CONNECTION' | 'CONNECTION_TIMEOUT' | 'ABORTED' | 'BAD_RESPONSE';

export interface CairnErrorInit {
  code: CairnErrorCode;
  message: string;
  status?: number | undefined;
  details?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
  retryAfter?: number | undefined;
  headers?: Headers | undefined;
  cause?: unknown;
}

/** Every failure the SDK throws: the server's code, status, details and request id where one answered. */
export class CairnError extends Error {
  readonly code: CairnErrorCode;
  /** The HTTP status; undefined when no response came (connection failure, timeout, abort). */
  readonly status: number | undefined;
  readonly details: Record<string, unknown>;
  /** The server's `x-request-id` header, where it sends one. */
  readonly requestId: string | undefined;
  /** Seconds to wait before trying again (429 and 503), from `Retry-After`. */
  readonly retryAfter: number | undefined;
  readonly headers: Headers | undefined;

  constructor(init: CairnErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.headers = init.headers;
  }
}

/** 400 and 422: the request is not valid (`details.issues` lists what). */
export class ValidationError extends CairnError {}
/** 401: no key, or not a valid one. */
export class AuthError extends CairnError {}
/** 403: the key lacks the scope, or the origin is refused. */
export class PermissionDeniedError extends CairnError {}
/** 404: no such collection, document, job, chat or route. */
export class NotFoundError extends CairnError {}
/** 409: a collection with this name exists, a job already finished, … */
export class ConflictError extends CairnError {}
/** 413: the upload or source exceeds a size limit. */
export class PayloadTooLargeError extends CairnError {}
/** 429: too many requests; `retryAfter` says when to try again. */
export class RateLimitError extends CairnError {}
/** 503: the server is busy or a model is missing; `retryAfter` where the server says. */
export class ServiceUnavailableError extends CairnError {}
/** Any other 5xx. */
export class InternalServerError extends CairnError {}
/** No response: the server could not be reached or the connection broke. */
export class ConnectionError extends CairnError {}
/** No response within `timeoutMs`. */
export class ConnectionTimeoutError extends ConnectionError {}
/** The caller's AbortSignal fired. */
export class AbortError extends CairnError {}

type ErrorClass = new (init: CairnErrorInit) => CairnError;

const BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: AuthError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

interface ErrorBodyShape {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** The error class for a status and the server's `{"error": {code, message, details}}` body. */
export function errorFromResponse(response: Response, body: unknown): CairnError {
  const error = (body as ErrorBodyShape | null)?.error;
  const status = response.status;
  const Class = BY_STATUS[status] ?? (status >= 500 ? InternalServerError : CairnError);
  const details = typeof error?.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {};
  return new Class({
    code: typeof error?.code === 'string' ? (error.code as CairnErrorCode) : 'BAD_RESPONSE',
    message: typeof error?.message === 'string' ? error.message : `HTTP ${status} ${response.statusText}`.trim(),
    status,
    details,
    requestId: response.headers.get('x-request-id') ?? undefined,
    retryAfter: parseRetryAfter(response.headers.get('retry-after')),
    headers: response.headers,
  });
}

/** An `error` event of a stream, in the same shape as a JSON error body. */
export function errorFromEvent(data: { error?: { code?: unknown; message?: unknown; details?: unknown } }): CairnError {
  const error = data.error;
  return new CairnError({
    code: typeof error?.code === 'string' ? (error.code as CairnErrorCode) : 'BAD_RESPONSE',
    message: typeof error?.message === 'string' ? error.message : 'The stream reported an error',
    details: typeof error?.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : {},
  });
}
