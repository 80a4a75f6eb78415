import { CairnError } from '../core/index.ts';

export interface OpenAiClientOptions {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
}

/** Joins `/v1/...` onto a base URL given with or without the `/v1` suffix. */
export function endpoint(baseUrl: string, route: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/v1') ? `${base}${route}` : `${base}/v1${route}`;
}

function headers(apiKey: string | null): Record<string, string> {
  return { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
}

/**
 * POSTs JSON and returns the response once headers arrive. A server that does not answer within
 * timeoutMs, answers with an error status, or cannot be reached becomes UPSTREAM_FAILED or TIMEOUT.
 */
export async function postJson(
  options: OpenAiClientOptions,
  route: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const url = endpoint(options.baseUrl, route);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: headers(options.apiKey),
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    if (timeout.aborted) throw new CairnError('TIMEOUT', `${url} did not answer within ${options.timeoutMs} ms`, { url });
    if (signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CairnError('UPSTREAM_FAILED', `${url} could not be reached: ${cause}`, { url });
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new CairnError('UPSTREAM_FAILED', `${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`, {
      url,
      status: response.status,
    });
  }
  return response;
}

/** Reads the whole body as JSON under the same deadline; malformed JSON is UPSTREAM_FAILED. */
export async function readJson(response: Response, url: string, timeoutMs: number): Promise<unknown> {
  const text = await withDeadline(response.text(), timeoutMs, url);
  try {
    return JSON.parse(text);
  } catch {
    throw new CairnError('UPSTREAM_FAILED', `${url} returned malformed JSON: ${text.slice(0, 120)}`, { url });
  }
}

export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CairnError('TIMEOUT', `${url} stalled for ${timeoutMs} ms`, { url })), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Server-sent events from a streaming body: yields each `data:` payload; stalls beyond timeoutMs throw. */
export async function* readSse(response: Response, url: string, timeoutMs: number): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (true) {
      const { done, value } = await withDeadline(reader.read(), timeoutMs, url);
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('data:')) yield line.slice(5).trim();
        newline = buffer.indexOf('\n');
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
