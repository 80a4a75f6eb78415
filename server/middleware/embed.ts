import type { Context, MiddlewareHandler, Next } from 'hono';
import { type ApiKey, CairnError, type EmbedBinding } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import type { AppEnv } from '../env.ts';
import { presentedKey } from './auth.ts';
import type { EmbedOriginCheck } from './origin.ts';

/**
 * Embed keys sit in public pages: anyone can read them, so what they may do is what anyone may do.
 * They search and ask in one collection, from the page origins they list, at a rate per key and per
 * visitor session (an id the widget makes and sends in this header), and read only their visitor's chats.
 */
export const VISITOR_HEADER = 'x-cairn-visitor';
const VISITOR_ID = /^[A-Za-z0-9_-]{8,128}$/;
const CORS_METHODS = 'GET, POST, OPTIONS';
const CORS_HEADERS = `authorization, content-type, accept, ${VISITOR_HEADER}`;
/** Refusals a page from any origin may read, so the widget can say why it cannot answer. */
const READABLE_REFUSALS = new Set([401, 403, 429]);
/** Ask fields an embed key may set: the site owner's server decides reflection and retrieval. */
const ASK_FIELDS = new Set(['question', 'chatId', 'stream', 'k', 'filter']);

function normalize(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

function embedOf(c: Context<AppEnv>): { key: ApiKey; embed: EmbedBinding } | null {
  const principal = c.get('principal');
  if (principal?.kind !== 'key' || !principal.key.embed) return null;
  return { key: principal.key, embed: principal.key.embed };
}

/** For the origin check (before auth): the request's key is an embed key that lists this origin. */
export function embedKeyAllows(store: StoreContract): EmbedOriginCheck {
  return async (c, origin) => {
    if (!(await store.apiKeys.embedOrigins()).has(origin)) return false;
    const presented = presentedKey(c);
    const key = presented ? await store.apiKeys.verify(presented) : null;
    return key?.embed?.origins.includes(origin) === true;
  };
}

function corsHeaders(c: Context, origin: string): void {
  c.header('Access-Control-Allow-Origin', origin);
  c.header('Access-Control-Expose-Headers', 'Retry-After, X-Request-Id');
  c.header('Vary', 'Origin', { append: true });
}

/**
 * Answers CORS preflights from origins some embed key lists, and from the widget on any origin
 * (it asks to send the visitor header) so that its request arrives and is refused in words the
 * widget can show. A response is readable by the page only when the key lists its origin, or when
 * it is such a refusal: nothing else is ever shared with an origin no key lists.
 */
export function createEmbedCors(store: StoreContract): MiddlewareHandler<AppEnv> {
  // Not an async function: a request without an Origin passes without a promise of its own.
  return function embedCors(c, next) {
    const given = c.req.header('origin');
    return given === undefined ? next() : answerEmbedCors(store, c, next, given);
  };
}

/** Answers an embed preflight, or lets the request on and makes its answer readable where allowed. */
async function answerEmbedCors(store: StoreContract, c: Context<AppEnv>, next: Next, given: string) {
  const origin = normalize(given);
  const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
  if (preflight) {
    const asksVisitor = (c.req.header('access-control-request-headers') ?? '').toLowerCase().includes(VISITOR_HEADER);
    if (!asksVisitor && !(await store.apiKeys.embedOrigins()).has(origin)) return next();
    return new Response(null, {
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': given,
        'Access-Control-Allow-Methods': CORS_METHODS,
        'Access-Control-Allow-Headers': CORS_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      },
    });
  }
  await next();
  const listed = embedOf(c)?.embed.origins.includes(origin) === true;
  const refusal = c.req.header(VISITOR_HEADER) !== undefined && READABLE_REFUSALS.has(c.res.status);
  if (listed || refusal) corsHeaders(c, given);
}

/** Token buckets by id, refilled continuously; idle full buckets are dropped when many pile up. */
export function createBuckets(now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number; perMinute: number }>();
  const prune = (time: number) => {
    for (const [id, b] of buckets) if (b.tokens + ((time - b.at) * b.perMinute) / 60_000 >= b.perMinute) buckets.delete(id);
  };
  /** Takes one token; returns the seconds to wait when there is none. */
  return function take(id: string, perMinute: number): number | null {
    const time = now();
    if (buckets.size > 10_000) prune(time);
    const perMs = perMinute / 60_000;
    const bucket = buckets.get(id) ?? { tokens: perMinute, at: time, perMinute };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (time - bucket.at) * perMs);
    bucket.at = time;
    buckets.set(id, bucket);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    bucket.tokens -= 1;
    return null;
  };
}

export interface EmbedGuardOptions {
  store: StoreContract;
  /** Requests a minute for a key that sets no rate of its own. */
  ratePerMinute: number;
  /** Requests a minute for one visitor session of one key. */
  visitorRatePerMinute: number;
  now?: () => number;
}

type EmbedAction = { kind: 'search' } | { kind: 'ask' } | { kind: 'chat'; chatId: string };

/** The one thing an embed key may be doing, or EMBED_KEY_FORBIDDEN. */
export function embedAction(method: string, path: string, embed: EmbedBinding): EmbedAction {
  const resource = /^\/v1\/collections\/([^/]+)\/(search|ask)\/?$/.exec(path);
  if (method === 'POST' && resource) {
    const collection = decodeURIComponent(resource[1] ?? '');
    if (collection === embed.collection) return { kind: resource[2] === 'ask' ? 'ask' : 'search' };
    throw new CairnError(
      'EMBED_KEY_FORBIDDEN',
      `This embed key is bound to collection "${embed.collection}", not "${collection}"`,
      {
        collection,
        bound: embed.collection,
      },
    );
  }
  const chat = /^\/v1\/chats\/([^/]+)\/?$/.exec(path);
  if (method === 'GET' && chat) return { kind: 'chat', chatId: decodeURIComponent(chat[1] ?? '') };
  // Rating an answer is part of the conversation: allowed on the visitor's own chats, as reading is.
  const feedback = /^\/v1\/chats\/([^/]+)\/turns\/[^/]+\/feedback\/?$/.exec(path);
  if (method === 'POST' && feedback) return { kind: 'chat', chatId: decodeURIComponent(feedback[1] ?? '') };
  throw new CairnError(
    'EMBED_KEY_FORBIDDEN',
    `An embed key may only search and ask in collection "${embed.collection}" and read its visitor's chats, not ${method} ${path}`,
    { method, path },
  );
}

function requireOrigin(c: Context, embed: EmbedBinding): void {
  const given = c.req.header('origin');
  if (given !== undefined && embed.origins.includes(normalize(given))) return;
  const why = given === undefined ? 'the request names no page origin' : `the page origin ${given} is not on its list`;
  throw new CairnError('EMBED_ORIGIN_NOT_ALLOWED', `This embed key may not be used here: ${why} (${embed.origins.join(', ')})`, {
    origin: given ?? null,
  });
}

function requireVisitor(c: Context): string {
  const visitor = c.req.header(VISITOR_HEADER)?.trim() ?? '';
  if (VISITOR_ID.test(visitor)) return visitor;
  throw new CairnError(
    'VALIDATION',
    `An embed key needs a visitor session id in ${VISITOR_HEADER} (8 to 128 of A-Z a-z 0-9 _ -)`,
    {
      header: VISITOR_HEADER,
    },
  );
}

function rateLimited(who: 'key' | 'visitor', perMinute: number, retryAfterSeconds: number): CairnError {
  const whose = who === 'key' ? 'this embed key' : 'this visitor session';
  return new CairnError('RATE_LIMITED', `Rate limit of ${perMinute} requests per minute reached for ${whose}`, {
    limit: perMinute,
    scope: who === 'key' ? 'embed-key' : 'visitor',
    retryAfterSeconds,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An ask continues only a chat of this visitor; a first question gets a new chat claimed for the
 * visitor before the answer starts, its id put into the body the route then reads.
 */
async function bindAskChat(c: Context<AppEnv>, store: StoreContract, key: ApiKey, visitor: string, collection: string) {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return; // the route answers what is wrong with the body
  }
  if (!isRecord(body)) return;
  const extra = Object.keys(body).filter((field) => !ASK_FIELDS.has(field));
  if (extra.length > 0) {
    throw new CairnError('EMBED_KEY_FORBIDDEN', `An embed key may not set ${extra.join(', ')} on an ask`, { fields: extra });
  }
  if (typeof body.chatId === 'string') {
    if (await store.apiKeys.ownsChat(body.chatId, key.id, visitor)) return;
    throw new CairnError('CHAT_NOT_FOUND', `No chat ${body.chatId} of this visitor`, { chatId: body.chatId });
  }
  const target = await store.collections.get(collection);
  if (!target || typeof body.question !== 'string' || body.question.trim() === '') return;
  const chat = await store.chats.create({ collectionId: target.id });
  await store.apiKeys.claimChat(chat.id, key.id, visitor);
  // The route reads the body again: it gets this one, with the claimed chat.
  const { raw } = c.req;
  const headers = new Headers(raw.headers);
  headers.delete('content-length');
  // The client's signal goes along: a visitor who leaves still stops the answer.
  c.req.raw = new Request(raw.url, {
    method: raw.method,
    headers,
    body: JSON.stringify({ ...body, chatId: chat.id }),
    signal: raw.signal,
  });
  c.req.bodyCache = {};
}

/** After auth: holds an embed key to its origins, actions, rates and its visitor's chats. */
export function createEmbedGuard(options: EmbedGuardOptions): MiddlewareHandler<AppEnv> {
  const take = createBuckets(options.now);
  // Not an async function: a request without an embed key passes without a promise of its own.
  return function guardEmbed(c, next) {
    const held = embedOf(c);
    return held ? guardEmbedded(options, take, c, next, held) : next();
  };
}

/** The embed key's origin, action, rate and chat checks. */
async function guardEmbedded(
  options: EmbedGuardOptions,
  take: ReturnType<typeof createBuckets>,
  c: Context<AppEnv>,
  next: Next,
  held: NonNullable<ReturnType<typeof embedOf>>,
) {
  const { key, embed } = held;
  requireOrigin(c, embed);
  const visitor = requireVisitor(c);
  const action = embedAction(c.req.method, c.req.path, embed);
  const keyRate = embed.ratePerMinute ?? options.ratePerMinute;
  const keyWait = take(key.id, keyRate);
  if (keyWait !== null) throw rateLimited('key', keyRate, keyWait);
  const visitorWait = take(`${key.id}\u0000${visitor}`, options.visitorRatePerMinute);
  if (visitorWait !== null) throw rateLimited('visitor', options.visitorRatePerMinute, visitorWait);
  if (action.kind === 'ask') await bindAskChat(c, options.store, key, visitor, embed.collection);
  if (action.kind === 'chat' && !(await options.store.apiKeys.ownsChat(action.chatId, key.id, visitor))) {
    throw new CairnError('CHAT_NOT_FOUND', `No chat ${action.chatId} of this visitor`, { chatId: action.chatId });
  }
  await next();
}
