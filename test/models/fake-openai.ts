import type { ServerResponse } from 'node:http';
import { createHashEmbedder } from '../../models/index.ts';
import { type Handler, startServer } from './helpers.ts';

export type FakeMode =
  | 'ok'
  | 'error500'
  | 'malformed'
  | 'hang'
  | 'wrongCount'
  | 'badEvent'
  /** Ignores `logprobs`, as servers without them do. */
  | 'noLogprobs'
  /** Answers HTTP 400 to a request that asks for `logprobs`. */
  | 'refuseLogprobs'
  /** Streams two words per event, each with its own logprob entry naming its token. */
  | 'pairs'
  /** Like pairs, with entries that do not name their token. */
  | 'pairsUnspelled'
  /** Answers a json_schema request with prose. */
  | 'notJson';

/**
 * Speaks the OpenAI wire format: /v1/embeddings (hash vectors, 48 dims) and /v1/chat/completions
 * (echoes the last user message word by word, SSE when stream is true, JSON for json_schema).
 * Asked for `logprobs`, word i of a stream has log-probability -(i + 1) / 10, and each word of a
 * completion -0.5.
 */
export async function startFakeOpenAi(): Promise<{
  url: string;
  close: () => Promise<void>;
  setMode: (m: FakeMode) => void;
  requests: unknown[];
}> {
  let mode: FakeMode = 'ok';
  const requests: unknown[] = [];
  const hash = createHashEmbedder(48);
  const handler: Handler = (req, raw, res) => {
    if (mode === 'hang') return;
    if (mode === 'error500') return send(res, 500, '{"error":{"message":"boom"}}');
    if (mode === 'malformed') return send(res, 200, '{"data": [oops');
    const body = JSON.parse(raw) as Record<string, unknown>;
    requests.push({ url: req.url, auth: req.headers.authorization ?? null, body });
    if (req.url === '/v1/embeddings') {
      const input = body.input as string[];
      const texts = mode === 'wrongCount' ? input.slice(1) : input;
      void hash
        .embed(texts, 'passage')
        .then((vectors) =>
          send(res, 200, JSON.stringify({ data: vectors.map((v, index) => ({ index, embedding: Array.from(v) })) })),
        );
      return;
    }
    if (req.url === '/v1/chat/completions') {
      if (mode === 'refuseLogprobs' && body.logprobs !== undefined) {
        return send(res, 400, '{"error":{"message":"logprobs is not supported by this model"}}');
      }
      return chat(body, res, mode);
    }
    send(res, 404, '{}');
  };
  const server = await startServer(handler);
  return { ...server, setMode: (m) => (mode = m), requests };
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

function chat(body: Record<string, unknown>, res: ServerResponse, mode: FakeMode): void {
  const messages = body.messages as { role: string; content: string }[];
  const last = messages[messages.length - 1]?.content ?? '';
  const format = body.response_format as { type: string } | undefined;
  const json = mode === 'notJson' ? 'Sure! The answer is yes.' : JSON.stringify({ answer: 'yes', sure: true });
  const content = format?.type === 'json_schema' ? json : `echo: ${last}`;
  const words = content.split(/(?<= )/).slice(0, Number(body.max_tokens ?? 512));
  const logprobs = body.logprobs === true && mode !== 'noLogprobs';
  if (!body.stream) {
    const choice = {
      message: { content: words.join('') },
      ...(logprobs ? { logprobs: { content: words.map(() => ({ logprob: -0.5 })) } } : {}),
    };
    send(res, 200, JSON.stringify({ choices: [choice], usage: { completion_tokens: words.length } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (mode === 'badEvent') return void res.end('data: {"choices": [oops\n\n');
  const step = mode === 'pairs' || mode === 'pairsUnspelled' ? 2 : 1;
  for (let i = 0; i < words.length; i += step) {
    const group = words.slice(i, i + step);
    const entries = group.map((token, j) => ({
      ...(mode === 'pairsUnspelled' ? {} : { token }),
      logprob: -(i + j + 1) / 10,
    }));
    const choice = { delta: { content: group.join('') }, ...(logprobs ? { logprobs: { content: entries } } : {}) };
    res.write(`data: ${JSON.stringify({ choices: [choice] })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}
