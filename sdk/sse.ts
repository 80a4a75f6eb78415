import { ConnectionError } from './errors.ts';
import { abortError } from './http.ts';

function brokenStream(cause: unknown): ConnectionError {
  return new ConnectionError({
    code: 'CONNECTION',
    message: `The event stream broke: ${(cause as Error)?.message ?? cause}`,
    cause,
  });
}

export interface SseMessage {
  event: string;
  data: string;
}

/** One block of lines into its event name and data (multi-line data joined by newlines); comments are skipped. */
function parseBlock(block: string): SseMessage | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { event, data: data.join('\n') };
}

/**
 * Splits off every complete block (ended by a blank line) from the buffer. Line ends are CRLF, LF or
 * CR in any mix; a CR at the very end waits, as its LF may come in the next piece.
 */
function takeBlocks(buffer: string, final: boolean): { blocks: string[]; rest: string } {
  const held = !final && buffer.endsWith('\r') ? '\r' : '';
  const text = (held ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, '\n');
  const parts = text.split('\n\n');
  const rest = (parts.pop() ?? '') + held;
  return { blocks: parts, rest };
}

/**
 * The messages of a server-sent-events body as they arrive. The caller's signal cancels the read
 * (the stream outlives the request's own timeout), and leaving the loop early cancels it too.
 */
export async function* readSse(response: Response, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  const body = response.body;
  if (!body) return;
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', cancel, { once: true });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((cause: unknown) => {
        throw signal?.aborted ? abortError(signal) : brokenStream(cause);
      });
      if (signal?.aborted) throw abortError(signal);
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const { blocks, rest } = takeBlocks(done ? `${buffer}\n\n` : buffer, done);
      buffer = rest;
      for (const block of blocks) {
        // One read can bring several events: none is handed out once the caller has aborted.
        if (signal?.aborted) throw abortError(signal);
        const message = parseBlock(block);
        if (message) yield message;
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    if (!signal?.aborted) await reader.cancel().catch(() => {});
  }
}
