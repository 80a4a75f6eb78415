import type { ServerResponse } from 'node:http';
import { createHashEmbedder } from '../../models/index.ts';
import { type Handler, startServer } from './helpers.ts';

export type FakeMode = 'ok' | 'error500' | 'malformed' | 'hang' | 'wrongCount' | 'badEvent';

/**
 * Speaks the OpenAI wire format: /v1/embeddings (hash vectors, 48 dims) and /v1/chat/completions
 * (echoes the last user message word by word, SSE when stream is true, JSON for json_schema).
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
    if (req.url === '/v1/chat/completions') return chat(body, res, mode);
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
  const content = format?.type === 'json_schema' ? JSON.stringify({ answer: 'yes', sure: true }) : `echo: ${last}`;
  const words = content.split(/(?<= )/).slice(0, Number(body.max_tokens ?? 512));
  if (!body.stream) {
    const logprobs = { content: words.map(() => ({ logprob: -0.5 })) };
    send(
      res,
      200,
      JSON.stringify({
        choices: [{ message: { content: words.join('') }, logprobs }],
        usage: { completion_tokens: words.length },
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (mode === 'badEvent') return void res.end('data: {"choices": [oops\n\n');
  for (const word of words) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: word } }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}
