import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CairnError } from '../../core/index.ts';
import type { AppEnv } from '../env.ts';
import { principalId } from './auth.ts';

/**
 * 413 before reading a body larger than the limit: by Content-Length when the client sends one
 * (checked from the header alone, which keeps the node adapter's fast body path), else counted
 * while streaming.
 */
export function createBodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new CairnError('PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBytes} bytes`, { limit: maxBytes });
  };
  const streaming = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  // Not an async function: a request within the limit hands on next()'s own promise (pipeline.ts).
  return function limitBody(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streaming(c, next);
    if (Number(length) > maxBytes) tooLarge();
    return next();
  };
}

/** A token bucket per API key: `perMinute` requests, refilled continuously; 429 with Retry-After. */
export function createRateLimit(perMinute: number, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return function rateLimit(c, next) {
    const id = principalId(c.get('principal'));
    const time = now();
    const bucket = buckets.get(id) ?? { tokens: perMinute, at: time };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (time - bucket.at) * perMs);
    bucket.at = time;
    buckets.set(id, bucket);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      throw new CairnError('RATE_LIMITED', `Rate limit of ${perMinute} requests per minute reached`, {
        limit: perMinute,
        retryAfterSeconds,
      });
    }
    bucket.tokens -= 1;
    return next();
  };
}

interface Deadline {
  at: number;
  /** Null once the request has answered (or timed out). */
  expire: ((error: CairnError) => void) | null;
}

/**
 * Every request gets the same timeout, so deadlines fall due in the order they were made: one queue
 * and one timer for its head serve them all, in place of a timer, a promise and a race per request.
 * The timer is not re-armed once nothing is waiting, and never holds the process open.
 */
function createDeadlines(ms: number) {
  let queue: Deadline[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | null = null;
  /** Skips answered entries at the head; stops the timer when none is left. */
  const trim = () => {
    while (head < queue.length && (queue[head] as Deadline).expire === null) head++;
    if (head < queue.length) {
      if (head > 1024) {
        queue = queue.slice(head);
        head = 0;
      }
      return;
    }
    // The timer stays armed when the queue empties: under steady traffic it empties after nearly
    // every request, and a clearTimeout and setTimeout per request cost more than one early wake.
    queue = [];
    head = 0;
  };
  const fire = () => {
    timer = null;
    // Timers keep whole milliseconds and may run a fraction early: a deadline within one is due,
    // so the 504 still comes before a requestSignal made for the same deadline aborts the work.
    const now = performance.now() + 1;
    for (; head < queue.length && (queue[head] as Deadline).at <= now; head++) {
      const due = queue[head] as Deadline;
      due.expire?.(new CairnError('TIMEOUT', `The request took longer than ${ms} ms`, { timeoutMs: ms }));
      due.expire = null;
    }
    trim();
    arm();
  };
  const arm = () => {
    if (timer !== null || head >= queue.length) return;
    timer = setTimeout(fire, Math.max(0, (queue[head] as Deadline).at - performance.now()));
    // An armed timer with nothing due must not hold the process open; requests hold their sockets.
    timer.unref();
  };
  /** Registers a deadline; the returned function says the request answered in time. */
  return function add(at: number, expire: (error: CairnError) => void): () => void {
    const deadline: Deadline = { at, expire };
    queue.push(deadline);
    arm();
    return () => {
      deadline.expire = null;
      if (queue[head] === deadline) trim();
    };
  };
}

/**
 * Gives each request a deadline `ms` away (requestSignal makes it a signal), and answers
 * 504 when the handler has not produced a response by then. Streams outlive this: once their
 * headers are out, they end with the client or the pipeline.
 */
export function createRequestTimeout(ms: number): MiddlewareHandler<AppEnv> {
  const add = createDeadlines(ms);
  return function requestTimeout(c, next) {
    // The deadline's signal is made only for the routes that read it (requestSignal): most never do.
    const at = performance.now() + ms;
    c.set('deadlineAt', at);
    return new Promise<void>((resolve, reject) => {
      const answered = add(at, reject);
      next().then(
        () => {
          answered();
          resolve();
        },
        (error: unknown) => {
          answered();
          reject(error);
        },
      );
    });
  };
}

export interface ConcurrencyLimiter {
  /** Waits for a slot (queued), or throws OVERLOADED when the queue is full; returns the release. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  active(): number;
  queued(): number;
}

/** At most `max` at once, up to `maxQueued` waiting in order, the rest refused with 503. */
export function createConcurrencyLimiter(max: number, maxQueued: number): ConcurrencyLimiter {
  let running = 0;
  const waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next.resolve();
    else running -= 1;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
  return {
    async acquire(signal) {
      if (running < max) {
        running += 1;
        return once();
      }
      if (waiting.length >= maxQueued) {
        throw new CairnError('OVERLOADED', `${max} answers are running and ${waiting.length} are queued; try again shortly`, {
          retryAfterSeconds: 1,
        });
      }
      await new Promise<void>((resolve, reject) => {
        const entry = { resolve, reject };
        waiting.push(entry);
        signal?.addEventListener('abort', () => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal.reason);
        });
      });
      return once();
    },
    active: () => running,
    queued: () => waiting.length,
  };
}
