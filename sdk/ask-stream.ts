import { CairnError, errorFromEvent } from './errors.ts';
import { readSse, type SseMessage } from './sse.ts';
import type { AnswerResult, AskEvent } from './types.ts';

/**
 * An event from its SSE message: the `type` field when the data has one, else the SSE event name
 * (a failure before the pipeline ran arrives as `event: error` with the plain error body).
 */
export function toEvent(message: SseMessage): AskEvent {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    data = { text: message.data };
  }
  const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : { value: data };
  const type = typeof fields.type === 'string' ? fields.type : message.event;
  return { ...fields, type } as AskEvent;
}

/**
 * The events of one answer, iterated once: `retrieved`, `reflection`, `token`, `citation`, `final`,
 * `done`, `error`, and any type a newer server adds. `result()` gives the final AnswerResult,
 * reading the rest of the stream if nobody iterates it.
 */
export class AskStream implements AsyncIterable<AskEvent> {
  readonly #open: (signal: AbortSignal) => Promise<Response>;
  readonly #controller = new AbortController();
  #started = false;
  #result: AnswerResult | undefined;
  #error: CairnError | undefined;
  readonly #settled: Promise<void>;
  #settle!: () => void;

  constructor(open: (signal: AbortSignal) => Promise<Response>, signal?: AbortSignal) {
    this.#open = open;
    this.#settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
    if (signal?.aborted) this.#controller.abort(signal.reason);
    signal?.addEventListener('abort', () => this.#controller.abort(signal.reason), { once: true });
  }

  /** Stops the answer: the connection closes and the server stops the pipeline. */
  abort(): void {
    this.#controller.abort(new Error('aborted by the caller'));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<AskEvent> {
    if (this.#started) throw new TypeError('An AskStream can be iterated once; use result() for the answer');
    this.#started = true;
    try {
      const response = await this.#open(this.#controller.signal);
      for await (const message of readSse(response, this.#controller.signal)) {
        const event = toEvent(message);
        this.#record(event);
        yield event;
      }
    } catch (error) {
      this.#error ??=
        error instanceof CairnError ? error : new CairnError({ code: 'CONNECTION', message: String(error), cause: error });
      throw error;
    } finally {
      this.#settle();
    }
  }

  #record(event: AskEvent): void {
    const fields = event as { type: string; result?: unknown; error?: { code?: unknown } };
    if (fields.type === 'done' && fields.result) this.#result = fields.result as AnswerResult;
    if (fields.type === 'error') this.#error = errorFromEvent(fields as Parameters<typeof errorFromEvent>[0]);
  }

  /** The final AnswerResult (from `done`); rejects with the stream's error when none came. */
  async result(): Promise<AnswerResult> {
    if (!this.#started) {
      for await (const _event of this);
    } else await this.#settled;
    if (this.#result) return this.#result;
    throw this.#error ?? new CairnError({ code: 'BAD_RESPONSE', message: 'The answer stream ended without a done event' });
  }
}
