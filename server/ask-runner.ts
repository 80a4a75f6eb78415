import type { Context } from 'hono';
import type { AppDeps } from './deps.ts';
import { type AppEnv, requestSignal } from './env.ts';
import type { ConcurrencyLimiter } from './middleware/limits.ts';
import type { AnswerEventLike, AnswerOutcome, AskCall } from './services.ts';
import { type SseSink, sseResponse } from './sse.ts';

/** Runs one answer inside the concurrency limit (queued, or 503 when the queue is full). */
export async function askOnce(
  deps: AppDeps,
  limiter: ConcurrencyLimiter,
  call: AskCall,
  signal: AbortSignal,
  onEvent?: (event: AnswerEventLike) => void,
): Promise<AnswerOutcome> {
  const release = await limiter.acquire(signal);
  try {
    return await deps.services.answer({ ...call, signal }, onEvent);
  } finally {
    release();
  }
}

/**
 * Streams one answer as server-sent events. The slot is taken before the response starts, so a
 * full queue is a plain 503; a client that disconnects aborts the pipeline through `signal`.
 */
export async function askStream(
  c: Context<AppEnv>,
  deps: AppDeps,
  limiter: ConcurrencyLimiter,
  call: AskCall,
  write: (sink: SseSink, event: AnswerEventLike) => Promise<void>,
  finish: (sink: SseSink, result: AnswerOutcome) => Promise<void>,
): Promise<Response> {
  const release = await limiter.acquire(requestSignal(c));
  return sseResponse(
    c,
    { heartbeatMs: deps.config.server.sseHeartbeatMs, logger: deps.logger, onClose: release },
    async (sink) => {
      // Events are written in order even though the pipeline emits them synchronously.
      let chain = Promise.resolve();
      const result = await deps.services.answer({ ...call, signal: sink.signal }, (event) => {
        chain = chain.then(() => write(sink, event));
      });
      await chain;
      await finish(sink, result);
    },
  );
}
