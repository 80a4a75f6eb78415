import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskStream, toEvent } from '../../sdk/ask-stream.ts';
import { AbortError, Cairn, CairnError } from '../../sdk/index.ts';
import { readSse } from '../../sdk/sse.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

/** A response whose body arrives in the given pieces. */
function streamed(pieces: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('reading server-sent events', () => {
  it('joins pieces split anywhere, skips comments, joins multi-line data and reads CRLF', async () => {
    const response = streamed([
      ': ping\n\nevent: tok',
      'en\ndata: {"a":',
      '1}\n\r\n',
      'data: one\ndata: two\r\n\r\n',
      'data: last',
    ]);
    expect(await collect(readSse(response))).toEqual([
      { event: 'token', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
      { event: 'message', data: 'last' },
    ]);
  });

  it('waits for the LF of a CRLF split between pieces', async () => {
    expect(await collect(readSse(streamed(['data: x\r', '\n\r', '\ndata: y\r\r'])))).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
  });

  it('hands out no event of a read once the caller has aborted, and says it was aborted', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const message of readSse(streamed(['data: one\n\ndata: two\n\ndata: three\n\n']), controller.signal)) {
        seen.push(message.data);
        controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(seen).toEqual(['one']);
  });

  it('types an event by its `type` field, else by the SSE event name, and passes unknown types through', () => {
    expect(toEvent({ event: 'token', data: '{"type":"token","text":"Hi","draft":true}' })).toEqual({
      type: 'token',
      text: 'Hi',
      draft: true,
    });
    expect(toEvent({ event: 'error', data: '{"error":{"code":"OVERLOADED","message":"busy"}}' })).toEqual({
      type: 'error',
      error: { code: 'OVERLOADED', message: 'busy' },
    });
    expect(toEvent({ event: 'verdict', data: '{"type":"verdict","score":0.5}' })).toEqual({ type: 'verdict', score: 0.5 });
  });

  it('rejects result() with the stream error when no done event came', async () => {
    const body = 'event: error\ndata: {"error":{"code":"GENERATOR_FAILED","message":"the model crashed","details":{}}}\n\n';
    const stream = new AskStream(async () => streamed([body]));
    const error = await stream.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CairnError);
    expect([(error as CairnError).code, (error as CairnError).message]).toEqual(['GENERATOR_FAILED', 'the model crashed']);
  });

  it('resolves result() from done even after an error event with a partial result', async () => {
    const result = { answer: 'partial', complete: false };
    const stream = new AskStream(async () =>
      streamed([
        `event: error\ndata: ${JSON.stringify({ type: 'error', error: { code: 'TIMEOUT', message: 't' }, result })}\n\n`,
        `event: done\ndata: ${JSON.stringify({ type: 'done', result })}\n\n`,
      ]),
    );
    expect(await stream.result()).toEqual(result);
  });

  it('can be iterated once only', async () => {
    const stream = new AskStream(async () => streamed(['data: {"type":"done","result":{"answer":"a"}}\n\n']));
    await collect(stream);
    await expect(collect(stream)).rejects.toThrow('An AskStream can be iterated once');
    expect((await stream.result()).answer).toBe('a');
  });
});

describe('stopping an answer', () => {
  let running: SdkServer;
  let aborted = 0;
  beforeAll(async () => {
    running = await startSdkServer({ fakes: { tokenDelayMs: 100, onAnswerAborted: () => aborted++ } });
    const cairn = new Cairn({ baseUrl: running.url });
    await cairn.jobs.wait((await cairn.documents.add('rocks', { text: 'Granite is a rock with many words in it.' })).jobId);
  });
  afterAll(() => running.close());

  it('aborts through the signal: the loop throws AbortError and the server stops the pipeline', async () => {
    const controller = new AbortController();
    const stream = new Cairn({ baseUrl: running.url }).ask('rocks', { question: 'granite' }, { signal: controller.signal });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (event.type === 'retrieved') controller.abort();
      }
    })().catch((e: unknown) => e);
    expect([seen, error instanceof AbortError]).toEqual([['retrieved'], true]);
    await expect.poll(() => aborted).toBe(1);
  });

  it('stops with stream.abort() too', async () => {
    const stream = new Cairn({ baseUrl: running.url }).ask('rocks', { question: 'granite' });
    const error = await (async () => {
      for await (const event of stream) if (event.type === 'retrieved') stream.abort();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    await expect.poll(() => aborted).toBe(2);
  });
});
