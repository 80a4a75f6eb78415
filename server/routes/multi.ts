import { type Context, Hono } from 'hono';
import { CairnError, type Collection } from '../../core/index.ts';
import { fuseCollectionResults, type SearchResult } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { askOnce, askStream } from '../ask-runner.ts';
import type { AppDeps } from '../deps.ts';
import { type AppEnv, requestSignal } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { ConcurrencyLimiter } from '../middleware/limits.ts';
import type { RouteDoc } from '../openapi.ts';
import type { AskCall, SearchCall } from '../services.ts';
import { parseJsonBody, pickDefined } from '../validate.ts';
import { multiAskSchema, multiSearchSchema } from '../webapi-schemas.ts';

export const multiDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/search',
    summary:
      'Search several collections at once: each is searched with the same options and the lists are fused by reciprocal rank; each passage names its `collection`',
    tag: 'Search and ask',
    body: multiSearchSchema,
    scope: 'read on each collection',
    responses: {
      200: 'Fused passages, the stages that ran, notes (prefixed by collection) and timings',
      404: 'No such collection',
    },
  },
  {
    method: 'post',
    path: '/v1/ask',
    summary:
      'Answer from several collections at once: the same options and events as the one-collection ask; retrieval runs in each collection and fuses by reciprocal rank; citations and passages name their `collection`. The chat is kept in the first collection that has documents (or, with chatId, the chat’s own, which must be listed)',
    tag: 'Search and ask',
    body: multiAskSchema,
    scope: 'read on each collection',
    stream: true,
    responses: {
      200: 'The answer result, or its event stream',
      400: 'Invalid request',
      404: 'No such collection',
      503: 'Too many answers queued',
    },
  },
];

/** The named collections, each once, after the caller's read scope on each is checked. */
async function readableCollections(c: Context<AppEnv>, store: StoreContract, names: string[]): Promise<Collection[]> {
  const unique = [...new Set(names)];
  for (const name of unique) requireScope(c, name, 'read');
  return Promise.all(unique.map((name) => store.collections.require(name)));
}

/** Where the chat lives: the continued chat's collection, else the first listed one with documents. */
async function chatCollection(store: StoreContract, collections: Collection[], chatId: string | undefined): Promise<Collection> {
  if (chatId !== undefined) {
    const chat = await store.chats.require(chatId);
    const owner = collections.find((col) => col.id === chat.collectionId);
    if (owner) return owner;
    throw new CairnError('VALIDATION', `Chat ${chatId} belongs to collection "${chat.collectionId}", which is not listed`, {
      chatId,
    });
  }
  for (const col of collections) if ((await store.documents.count(col.id)) > 0) return col;
  return collections[0] as Collection;
}

/**
 * Adds `collection` to every citation and passage (anything with a chunkId and documentId) of an
 * answer event or result, from the document's collection.
 */
export function tagCollections(store: StoreContract) {
  const owners = new Map<string, string | null>();
  const ownerOf = (documentId: string) => owners.get(documentId) ?? null;
  // The owners of the documents a value names are read first; the walk then only looks them up.
  const documentIds = (value: unknown, depth: number, into: Set<string>): Set<string> => {
    if (depth > 5 || value === null || typeof value !== 'object') return into;
    for (const item of Object.values(value)) documentIds(item, depth + 1, into);
    const record = value as Record<string, unknown>;
    if (typeof record.chunkId === 'string' && typeof record.documentId === 'string') into.add(record.documentId);
    return into;
  };
  const load = async (value: unknown) => {
    const missing = [...documentIds(value, 0, new Set())].filter((id) => !owners.has(id));
    const docs = await Promise.all(missing.map((id) => store.documents.get(id)));
    for (const [i, id] of missing.entries()) owners.set(id, docs[i]?.collectionId ?? null);
  };
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 5 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    const entries = Object.entries(value).map(([key, item]) => [key, walk(item, depth + 1)]);
    const record = Object.fromEntries(entries) as Record<string, unknown>;
    if (typeof record.chunkId === 'string' && typeof record.documentId === 'string' && record.collection === undefined) {
      const owner = ownerOf(record.documentId);
      if (owner !== null) record.collection = owner;
    }
    return record;
  };
  return async <T>(value: T): Promise<T> => {
    await load(value);
    return walk(value, 0) as T;
  };
}

export function createMultiRoutes(deps: AppDeps, limiter: ConcurrencyLimiter) {
  const { store } = deps;
  return new Hono<AppEnv>()
    .post('/search', async (c) => {
      const body = await parseJsonBody(c, multiSearchSchema);
      const collections = await readableCollections(c, store, body.collections);
      const options = pickDefined(body, ['mode', 'k', 'rerank', 'filter', 'contextWindow'] as const);
      const results = await Promise.all(
        collections.map((col) => deps.services.search({ collection: col.id, query: body.query, ...options } as SearchCall)),
      );
      const ids = collections.map((col) => col.id);
      return c.json(fuseCollectionResults(ids, results as SearchResult[], body.k));
    })
    .post('/ask', async (c) => {
      const body = await parseJsonBody(c, multiAskSchema);
      const collections = await readableCollections(c, store, body.collections);
      const call: AskCall = {
        collection: (await chatCollection(store, collections, body.chatId)).id,
        collections: collections.map((col) => col.id),
        question: body.question,
        ...pickDefined(body, ['chatId', 'reflect', 'retrieve', 'filter', 'k'] as const),
      };
      const tag = tagCollections(store);
      const wantsStream = body.stream === true || (c.req.header('accept') ?? '').includes('text/event-stream');
      if (!wantsStream) return c.json(await tag(await askOnce(deps, limiter, call, requestSignal(c))));
      let doneSent = false;
      return askStream(
        c,
        deps,
        limiter,
        call,
        async (sink, event) => {
          if (event.type === 'done') doneSent = true;
          await sink.send(await tag(event), event.type);
        },
        async (sink, result) => {
          if (!doneSent) await sink.send({ type: 'done', result: await tag(result) }, 'done');
        },
      );
    });
}
