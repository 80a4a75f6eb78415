import { Hono } from 'hono';
import { CairnError, type Citation, randomId } from '../../core/index.ts';
import { askOnce, askStream } from '../ask-runner.ts';
import type { AppDeps } from '../deps.ts';
import { type AppEnv, requestSignal } from '../env.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';
import { chatCompletionSchema, embeddingsSchema } from '../schemas.ts';
import { type AnswerOutcome, answerText } from '../services.ts';
import type { SseSink } from '../sse.ts';
import { param, parseJsonBody } from '../validate.ts';

export const openAiDocs: RouteDoc[] = [
  { method: 'get', path: '/v1/models', summary: 'OpenAI-compatible: one model per collection', tag: 'OpenAI-compatible' },
  {
    method: 'get',
    path: '/v1/models/{model}',
    summary: 'OpenAI-compatible: one model (a collection)',
    tag: 'OpenAI-compatible',
  },
  {
    method: 'post',
    path: '/v1/chat/completions',
    summary: 'OpenAI-compatible chat with a collection; citations and reflection in the `cairn` field',
    tag: 'OpenAI-compatible',
    body: chatCompletionSchema,
    stream: true,
    scope: 'read',
  },
  {
    method: 'post',
    path: '/v1/embeddings',
    summary: "OpenAI-compatible embeddings with the collection's embedder",
    tag: 'OpenAI-compatible',
    body: embeddingsSchema,
    scope: 'read',
  },
];

type ChatBody = ReturnType<typeof chatCompletionSchema.parse>;

function lastQuestion(body: ChatBody): string {
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  const content = user?.content;
  const text = typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('');
  if (text.trim() === '') throw new CairnError('VALIDATION', 'The messages need a user message with text');
  return text;
}

/** The sources block appended to the answer text, so any chat client shows where it came from. */
export function sourcesBlock(citations: Citation[]): string {
  if (citations.length === 0) return '';
  const seen = new Set<number>();
  const lines = citations
    .filter((cite) => !seen.has(cite.marker) && seen.add(cite.marker))
    .map(
      (cite) =>
        `[${cite.marker}] ${cite.title || cite.source}${cite.title ? ` — ${cite.source}` : ''}${cite.page ? `, p. ${cite.page}` : ''}`,
    );
  return `\n\nSources:\n${lines.join('\n')}`;
}

function cairnField(result: AnswerOutcome) {
  const { answer: _a, text: _t, ...rest } = result;
  return { citations: result.citations ?? [], decision: result.decision ?? null, reflection: rest };
}

function modelView(id: string, createdAt: string) {
  return { id, object: 'model', created: Math.floor(Date.parse(createdAt) / 1000), owned_by: 'cairn' };
}

function encodeVector(vector: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') return Array.from(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function createOpenAiRoutes(deps: AppDeps, limiter: ConcurrencyLimiter) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .get('/models', (c) => {
      const principal = c.get('principal');
      const data = store.collections
        .list()
        .filter((col) => hasScope(principal, col.id, 'read'))
        .map((col) => modelView(col.id, col.createdAt));
      return c.json({ object: 'list', data });
    })
    .get('/models/:model', (c) => {
      const name = param(c, 'model');
      requireScope(c, name, 'read');
      const col = store.collections.require(name);
      return c.json(modelView(col.id, col.createdAt));
    })
    .post('/chat/completions', async (c) => {
      const body = await parseJsonBody(c, chatCompletionSchema);
      requireScope(c, body.model, 'read');
      const collection = store.collections.require(body.model);
      const call = { collection: collection.id, question: lastQuestion(body) };
      const id = `chatcmpl-${randomId('')}`;
      const created = Math.floor(Date.now() / 1000);
      if (body.stream !== true) {
        const result = await askOnce(deps, limiter, call, requestSignal(c));
        const content = answerText(result) + sourcesBlock(result.citations ?? []);
        return c.json({
          id,
          object: 'chat.completion',
          created,
          model: collection.id,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          cairn: cairnField(result),
        });
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model: collection.id,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...extra,
      });
      let streamed = '';
      let started = false;
      const writeToken = async (sink: SseSink, text: string) => {
        streamed += text;
        await sink.send(chunk({ content: text }, null));
      };
      return askStream(
        c,
        deps,
        limiter,
        call,
        async (sink, event) => {
          if (!started) {
            started = true;
            await sink.send(chunk({ role: 'assistant', content: '' }, null));
          }
          const text = event.type === 'token' ? (event.text ?? event.token ?? event.content) : undefined;
          if (typeof text === 'string' && text !== '') await writeToken(sink, text);
        },
        async (sink, result) => {
          const final = answerText(result);
          // The gate may revise or withdraw what was streamed: say so instead of leaving it standing.
          if (final !== streamed) await writeToken(sink, streamed === '' ? final : `\n\n---\n${final}`);
          const tail = sourcesBlock(result.citations ?? []);
          if (tail) await writeToken(sink, tail);
          await sink.send(chunk({}, 'stop', { cairn: cairnField(result) }));
          await sink.send('[DONE]');
        },
      );
    })
    .post('/embeddings', async (c) => {
      const body = await parseJsonBody(c, embeddingsSchema);
      requireScope(c, body.model, 'read');
      const collection = store.collections.require(body.model);
      const texts = typeof body.input === 'string' ? [body.input] : body.input;
      const { model, vectors } = await deps.services.embed(collection.id, texts);
      const format = body.encoding_format ?? 'float';
      return c.json({
        object: 'list',
        model,
        data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: encodeVector(v, format) })),
        usage: { prompt_tokens: 0, total_tokens: 0 },
      });
    });
}
