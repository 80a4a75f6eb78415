import { type Context, Hono } from 'hono';
import { CairnError, type Citation, randomId } from '../../core/index.ts';
import { askOnce, askStream } from '../ask-runner.ts';
import type { AppDeps } from '../deps.ts';
import { type AppEnv, requestSignal } from '../env.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';
import { chatCompletionSchema, embeddingsSchema } from '../schemas.ts';
import { type AnswerEventLike, type AnswerOutcome, type AskCall, answerText } from '../services.ts';
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

type Message = ChatBody['messages'][number];

function messageText(message: Message | undefined): string {
  const content = message?.content;
  return typeof content === 'string' ? content : (content ?? []).map((part) => part.text ?? '').join('');
}

/**
 * The last user message is the question; the user and assistant turns before it are the history
 * the answer pipeline condenses a follow-up with (our own sources block is dropped from answers).
 * Nothing is stored: OpenAI clients send the whole conversation each time.
 */
function conversation(body: ChatBody): { question: string; history: NonNullable<AskCall['history']> } {
  const last = body.messages.findLastIndex((m) => m.role === 'user');
  const question = messageText(body.messages[last]);
  if (question.trim() === '') throw new CairnError('VALIDATION', 'The messages need a user message with text');
  const history = body.messages
    .slice(0, Math.max(0, last))
    .filter((m): m is Message & { role: 'user' | 'assistant' } => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role, content: messageText(m).replace(/\n\nSources:\n[\s\S]*$/, '') }));
  return { question, history };
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

/** The reflection verdicts an OpenAI client can read beside the text (passages stay out: citations carry the spans). */
const REFLECTION_FIELDS = ['mode', 'complete', 'abstainReason', 'score', 'isuse', 'sentences', 'notes', 'models', 'error'];

function cairnField(result: AnswerOutcome) {
  const fields = result as Record<string, unknown>;
  const reflection = Object.fromEntries(REFLECTION_FIELDS.filter((key) => key in fields).map((key) => [key, fields[key]]));
  return { citations: result.citations ?? [], decision: result.decision ?? null, chatId: result.chatId ?? null, reflection };
}

function modelView(id: string, createdAt: string) {
  return { id, object: 'model', created: Math.floor(Date.parse(createdAt) / 1000), owned_by: 'cairn' };
}

function encodeVector(vector: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') return Array.from(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

const fullText = (result: AnswerOutcome) => answerText(result) + sourcesBlock(result.citations ?? []);

/** Released answer text: a token the gate let through. Draft tokens (answer.stream "draft") never are. */
function releasedText(event: AnswerEventLike): string {
  return event.type === 'token' && event.draft !== true && typeof event.text === 'string' ? event.text : '';
}

function completionChunk(meta: CompletionMeta, delta: Record<string, unknown>, finish: string | null, extra = {}) {
  return {
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...extra,
  };
}

/**
 * The answer as OpenAI `chat.completion.chunk` events: a role chunk, the released sentences as the
 * gate lets them through, then the sources block, a final chunk carrying the `cairn` field, and
 * `[DONE]`. Nothing ungated is sent: draft tokens are skipped, and what the client has is always the
 * start of the final answer (in draft mode the final answer comes whole at the end).
 */
function streamCompletion(c: Context<AppEnv>, deps: AppDeps, limiter: ConcurrencyLimiter, call: AskCall, meta: CompletionMeta) {
  let streamed = '';
  let started = false;
  const write = async (sink: SseSink, text: string) => {
    streamed += text;
    await sink.send(completionChunk(meta, { content: text }, null));
  };
  const onEvent = async (sink: SseSink, event: AnswerEventLike) => {
    if (!started) {
      started = true;
      await sink.send(completionChunk(meta, { role: 'assistant', content: '' }, null));
    }
    const text = releasedText(event);
    if (text !== '') await write(sink, text);
  };
  const finish = async (sink: SseSink, result: AnswerOutcome) => {
    const final = answerText(result);
    if (final.startsWith(streamed) && final.length > streamed.length) await write(sink, final.slice(streamed.length));
    const tail = sourcesBlock(result.citations ?? []);
    if (tail) await write(sink, tail);
    await sink.send(completionChunk(meta, {}, 'stop', { cairn: cairnField(result) }));
    await sink.send('[DONE]');
  };
  return askStream(c, deps, limiter, call, onEvent, finish);
}

export function createOpenAiRoutes(deps: AppDeps, limiter: ConcurrencyLimiter) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .get('/models', async (c) => {
      const principal = c.get('principal');
      const data = (await store.collections.list())
        .filter((col) => hasScope(principal, col.id, 'read'))
        .map((col) => modelView(col.id, col.createdAt));
      return c.json({ object: 'list', data });
    })
    .get('/models/:model', async (c) => {
      const name = param(c, 'model');
      requireScope(c, name, 'read');
      const col = await store.collections.require(name);
      return c.json(modelView(col.id, col.createdAt));
    })
    .post('/chat/completions', async (c) => {
      const body = await parseJsonBody(c, chatCompletionSchema);
      requireScope(c, body.model, 'read');
      const collection = await store.collections.require(body.model);
      const call: AskCall = { collection: collection.id, persist: false, ...conversation(body) };
      const meta: CompletionMeta = {
        id: `chatcmpl-${randomId('')}`,
        created: Math.floor(Date.now() / 1000),
        model: collection.id,
      };
      if (body.stream === true) return streamCompletion(c, deps, limiter, call, meta);
      const result = await askOnce(deps, limiter, call, requestSignal(c));
      return c.json({
        ...meta,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: fullText(result) }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        cairn: cairnField(result),
      });
    })
    .post('/embeddings', async (c) => {
      const body = await parseJsonBody(c, embeddingsSchema);
      requireScope(c, body.model, 'read');
      const collection = await store.collections.require(body.model);
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
