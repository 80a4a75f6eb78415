import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { Logger } from '../core/index.ts';
import { errorBody, withRequestId } from './errors.ts';

export interface SseSink {
  /** Sends one event; `event` omitted sends a bare `data:` line (the OpenAI stream format). */
  send(data: unknown, event?: string): Promise<void>;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

/**
 * A server-sent-events response: heartbeats (comment lines) keep proxies from closing a quiet
 * stream, a client disconnect aborts `signal`, and a failure becomes an `error` event in the
 * server's one error shape (the status line is already sent by then).
 */
export function sseResponse(
  c: Context,
  options: { heartbeatMs: number; logger: Logger; onClose?: () => void },
  run: (sink: SseSink) => Promise<void>,
): Response {
  const controller = new AbortController();
  const abort = () => controller.abort(new Error('client disconnected'));
  c.req.raw.signal.addEventListener('abort', abort, { once: true });
  return streamSSE(c, async (stream: SSEStreamingApi) => {
    stream.onAbort(abort);
    const heartbeat = setInterval(() => {
      if (!stream.aborted && !stream.closed) stream.write(': ping\n\n').catch(abort);
    }, options.heartbeatMs);
    const sink: SseSink = {
      signal: controller.signal,
      send: async (data, event) => {
        if (stream.aborted || stream.closed) return;
        const text = typeof data === 'string' ? data : JSON.stringify(data);
        await stream.writeSSE(event === undefined ? { data: text } : { data: text, event });
      },
    };
    try {
      await run(sink);
    } catch (error) {
      if (!controller.signal.aborted) await sink.send(withRequestId(errorBody(error, options.logger), c), 'error');
    } finally {
      clearInterval(heartbeat);
      c.req.raw.signal.removeEventListener('abort', abort);
      options.onClose?.();
    }
  });
}
