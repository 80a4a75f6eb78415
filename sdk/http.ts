import {
  AbortError,
  type CairnError,
  ConnectionError,
  ConnectionTimeoutError,
  errorFromResponse,
  RateLimitError,
  ServiceUnavailableError,
} from './errors.ts';

export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8787`; in a browser, the page's own origin when omitted. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>`; omit for an open loopback server. */
  apiKey?: string | null;
  /** Per attempt, until the response (and, for JSON, its body) has arrived. Default 600 000 (10 min), as the openai client. */
  timeoutMs?: number;
  /** Further attempts after a connection error, a timeout, 429 or 503. Default 2, as the openai client. */
  maxRetries?: number;
  /** A fetch implementation (tests, proxies); the global fetch by default. */
  fetch?: typeof fetch;
  /** Sent with every request. */
  defaultHeaders?: Record<string, string>;
}

/** Accepted by every method as its last argument. */
export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** A plain value is sent as JSON; FormData as multipart. */
  body?: unknown;
  headers?: Record<string, string>;
  options?: RequestOptions | undefined;
}

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 2;
const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A longer Retry-After is handed to the caller (as `retryAfter`) instead of waited out. */
const MAX_RETRY_AFTER_S = 60;

function defaultBaseUrl(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin;
  throw new TypeError('new Cairn({ baseUrl }) needs the server address outside a browser, e.g. http://127.0.0.1:8787');
}

export function resolvedOptions(options: ClientOptions) {
  return {
    baseUrl: (options.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, ''),
    apiKey: options.apiKey ?? null,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    fetch: options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init)),
    defaultHeaders: options.defaultHeaders ?? {},
  };
}

export type Resolved = ReturnType<typeof resolvedOptions>;

/** Exponential backoff with jitter (up to a quarter off), as the openai client; Retry-After when the server gives one. */
export function retryDelayMs(attempt: number, retryAfter: number | undefined, random = Math.random): number {
  if (retryAfter !== undefined && retryAfter <= MAX_RETRY_AFTER_S) return retryAfter * 1000;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  return base * (1 - random() * 0.25);
}

function isRetryable(error: CairnError): boolean {
  if (error instanceof RateLimitError || error instanceof ServiceUnavailableError) {
    return error.retryAfter === undefined || error.retryAfter <= MAX_RETRY_AFTER_S;
  }
  return error instanceof ConnectionError;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function abortError(signal: AbortSignal | undefined): AbortError {
  return new AbortError({ code: 'ABORTED', message: 'The request was aborted', cause: signal?.reason });
}

function buildUrl(base: string, path: string, query: Call['query']): string {
  const url = new URL(base + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

function requestInit(config: Resolved, call: Call, signal: AbortSignal): RequestInit {
  const headers: Record<string, string> = { accept: 'application/json', ...config.defaultHeaders };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  let body: BodyInit | undefined;
  if (call.body instanceof FormData) body = call.body;
  else if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.body);
  }
  Object.assign(headers, call.headers, call.options?.headers);
  return { method: call.method, headers, signal, ...(body === undefined ? {} : { body }) };
}

/**
 * One attempt: the caller's signal and the timeout both abort it. `read` runs inside the timeout
 * (reading a JSON body); a stream is handed out once its headers are in.
 */
async function attempt<T>(
  config: Resolved,
  call: Call,
  timeoutMs: number,
  read: (response: Response) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: CairnError }> {
  const userSignal = call.options?.signal;
  const controller = new AbortController();
  const onAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  try {
    const response = await config.fetch(
      buildUrl(config.baseUrl, call.path, call.query),
      requestInit(config, call, controller.signal),
    );
    if (!response.ok) return { ok: false, error: errorFromResponse(response, await response.json().catch(() => null)) };
    return { ok: true, value: await read(response) };
  } catch (cause) {
    if (userSignal?.aborted) return { ok: false, error: abortError(userSignal) };
    if (timedOut) {
      return {
        ok: false,
        error: new ConnectionTimeoutError({ code: 'CONNECTION_TIMEOUT', message: `No response within ${timeoutMs} ms`, cause }),
      };
    }
    return {
      ok: false,
      error: new ConnectionError({
        code: 'CONNECTION',
        message: `Cannot reach ${config.baseUrl}: ${(cause as Error)?.message ?? cause}`,
        cause,
      }),
    };
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener('abort', onAbort);
  }
}

/** Sends a call, retrying connection errors, timeouts, 429 and 503 with backoff; `read` turns the response into the value. */
export async function send<T>(config: Resolved, call: Call, read: (response: Response) => Promise<T>): Promise<T> {
  const signal = call.options?.signal;
  const maxRetries = call.options?.maxRetries ?? config.maxRetries;
  const timeoutMs = call.options?.timeoutMs ?? config.timeoutMs;
  for (let tries = 0; ; tries++) {
    if (signal?.aborted) throw abortError(signal);
    const outcome = await attempt(config, call, timeoutMs, read);
    if (outcome.ok) return outcome.value;
    if (tries >= maxRetries || !isRetryable(outcome.error)) throw outcome.error;
    await sleep(retryDelayMs(tries, outcome.error.retryAfter), signal);
  }
}

/** The JSON body of a successful response. */
export function readJson<T>(response: Response): Promise<T> {
  return response.json() as Promise<T>;
}
