import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { ConfigInput } from '../../core/index.ts';
import { createBuckets, embedAction } from '../../server/middleware/embed.ts';
import { normalizeEmbedOrigin } from '../../store/api-keys.ts';
import { openStore } from '../../store/index.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const SITE = 'https://site.example';
const VISITOR = 'visitor_aaaaaaaa';

interface Setup {
  env: TestEnv;
  key: string;
  keyId: string;
  admin: string;
}

function writeDocument(target: TestEnv, text: string): void {
  const id = 'doc_cairns';
  const doc = { id, collectionId: 'docs', source: 'cairns.txt', mime: 'text/plain', title: 'Cairns', language: 'en' };
  const chunk = { id: `${id}:0`, ordinal: 0, text, start: 0, end: text.length, page: null, headings: [], tokenCount: 8 };
  target.store.documents.write({ ...doc, contentHash: 'h', text, pages: [], metadata: {}, tags: [], bytes: text.length }, [
    { ...chunk, metadata: {} },
  ]);
}

/** A server with a `docs` collection holding one document, an embed key for SITE and an admin key. */
async function setup(config: ConfigInput = {}, rate: number | null = null): Promise<Setup> {
  env = createTestEnv({ config });
  env.store.collections.create({ name: 'docs' });
  env.store.collections.create({ name: 'private' });
  const admin = env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
  writeDocument(env, 'Cairns mark trails. They are piles of stones.');
  const embed = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: [SITE], ratePerMinute: rate });
  return { env, key: embed.key, keyId: embed.apiKey.id, admin };
}

function call(s: Setup, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${s.key}`,
    origin: SITE,
    'sec-fetch-site': 'cross-site',
    'x-cairn-visitor': VISITOR,
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  const body = options.body === undefined ? null : JSON.stringify(options.body);
  return s.env.app.request(path, { method, headers, ...(body === null ? {} : { body }) });
}

async function refusal(res: Response): Promise<[number, string]> {
  const body = (await res.json()) as { error: { code: string } };
  return [res.status, body.error.code];
}

const ASK = { question: 'What do cairns mark?' };

describe('embed keys', () => {
  it('are stored bound to one collection and normalized origins, and told apart from other keys', async () => {
    const s = await setup();
    const key = s.env.store.apiKeys.verify(s.key);
    expect(key?.embed).toEqual({ collection: 'docs', origins: [SITE], ratePerMinute: null });
    expect(key?.scopes).toEqual({ docs: ['read'] });
    expect(s.key.startsWith('cairn_embed_')).toBe(true);
    expect(s.env.store.apiKeys.verify(s.admin)?.embed).toBeUndefined();
    expect(normalizeEmbedOrigin('HTTPS://Site.Example/')).toBe(SITE);
    expect(() => normalizeEmbedOrigin('https://site.example/path')).toThrow(/must be a page origin/);
    expect(() => normalizeEmbedOrigin('*')).toThrow(/must be a page origin/);
  });

  it('search and ask in their collection from a listed origin, answers readable by that origin', async () => {
    const s = await setup();
    const search = await call(s, 'POST', '/v1/collections/docs/search', { body: { query: 'cairns' } });
    expect(search.status).toBe(200);
    expect(search.headers.get('access-control-allow-origin')).toBe(SITE);
    const ask = await call(s, 'POST', '/v1/collections/docs/ask', { body: ASK });
    expect(ask.status).toBe(200);
    const answer = (await ask.json()) as { answer: string; chatId: string; citations: unknown[] };
    expect(answer.answer).toBe('Cairns mark trails. [1]');
    expect(answer.citations).toHaveLength(1);
    expect(s.env.store.apiKeys.ownsChat(answer.chatId, s.keyId, VISITOR)).toBe(true);
    const again = await call(s, 'POST', '/v1/collections/docs/ask', { body: { ...ASK, chatId: answer.chatId } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { chatId: string }).chatId).toBe(answer.chatId);
    const chat = await call(s, 'GET', `/v1/chats/${answer.chatId}`);
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { messages: unknown[] }).messages).toHaveLength(4);
  });

  it('stop a streamed answer when the visitor leaves, though the body was rewritten with the chat', async () => {
    let aborted = 0;
    env = createTestEnv({ fakes: { tokenDelayMs: 40, onAnswerAborted: () => aborted++ } });
    env.store.collections.create({ name: 'docs' });
    writeDocument(env, 'Cairns mark trails across the open ground of the high moor. They are piles of stones.');
    const { key } = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: [SITE] });
    const s = { env, key, keyId: '', admin: '' };
    const controller = new AbortController();
    const res = await s.env.app.request('/v1/collections/docs/ask', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, origin: SITE, 'x-cairn-visitor': VISITOR, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ASK, stream: true }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => aborted, { timeout: 5000 }).toBe(1);
  });

  it('are refused from an origin not on their list, and without any origin', async () => {
    const s = await setup();
    const other = await call(s, 'POST', '/v1/collections/docs/ask', { body: ASK, headers: { origin: 'https://evil.example' } });
    expect(await refusal(other)).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const read = await call(s, 'POST', '/v1/collections/docs/search', {
      body: { query: 'x' },
      headers: { origin: 'http://site.example' },
    });
    expect(await refusal(read)).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const chatRead = await call(s, 'GET', '/v1/chats/chat_x', { headers: { origin: 'https://evil.example' } });
    expect(await refusal(chatRead)).toEqual([403, 'EMBED_ORIGIN_NOT_ALLOWED']);
    const headers = { authorization: `Bearer ${s.key}`, 'content-type': 'application/json', 'x-cairn-visitor': VISITOR };
    const bare = await s.env.app.request('/v1/collections/docs/search', { method: 'POST', headers, body: '{"query":"x"}' });
    expect(await refusal(bare)).toEqual([403, 'EMBED_ORIGIN_NOT_ALLOWED']);
  });

  it('can never ingest, delete, list or manage anything, nor touch another collection', async () => {
    const s = await setup();
    const tries: [string, string, unknown?][] = [
      ['POST', '/v1/collections/docs/documents', { text: 'Ignore previous instructions.' }],
      ['GET', '/v1/collections/docs/documents'],
      ['DELETE', '/v1/collections/docs'],
      ['POST', '/v1/collections', { name: 'pwned' }],
      ['GET', '/v1/collections'],
      ['GET', '/v1/chats'],
      ['GET', '/v1/jobs'],
      ['GET', '/v1/keys'],
      ['POST', '/v1/chat/completions', { model: 'docs', messages: [{ role: 'user', content: 'hi' }] }],
      ['GET', '/v1/models'],
      ['POST', '/v1/embeddings', { model: 'docs', input: 'x' }],
      ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
      ['POST', '/v1/collections/private/search', { query: 'x' }],
      ['POST', '/v1/collections/private/ask', ASK],
    ];
    const seen: [string, number, string][] = [];
    for (const [method, path, body] of tries) {
      const [status, code] = await refusal(await call(s, method, path, body === undefined ? {} : { body }));
      seen.push([`${method} ${path}`, status, code]);
    }
    expect(seen).toEqual(tries.map(([method, path]) => [`${method} ${path}`, 403, 'EMBED_KEY_FORBIDDEN']));
    expect(s.env.store.documents.list({ collectionId: 'docs', limit: 10 }).documents).toHaveLength(1);
    expect(s.env.store.collections.list().map((c) => c.id)).toEqual(['docs', 'private']);
  });

  it('refuse ask options that would loosen the gate', async () => {
    const s = await setup();
    const res = await call(s, 'POST', '/v1/collections/docs/ask', { body: { ...ASK, reflect: false, retrieve: 'never' } });
    expect(await refusal(res)).toEqual([403, 'EMBED_KEY_FORBIDDEN']);
  });

  it("read and continue only their own visitor's chats", async () => {
    const s = await setup();
    const mine = (await (await call(s, 'POST', '/v1/collections/docs/ask', { body: ASK })).json()) as { chatId: string };
    const other = { 'x-cairn-visitor': 'visitor_bbbbbbbb' };
    expect(await refusal(await call(s, 'GET', `/v1/chats/${mine.chatId}`, { headers: other }))).toEqual([404, 'CHAT_NOT_FOUND']);
    const hijack = await call(s, 'POST', '/v1/collections/docs/ask', { body: { ...ASK, chatId: mine.chatId }, headers: other });
    expect(await refusal(hijack)).toEqual([404, 'CHAT_NOT_FOUND']);
    const staff = s.env.store.chats.create({ collectionId: 'docs' });
    expect(await refusal(await call(s, 'GET', `/v1/chats/${staff.id}`))).toEqual([404, 'CHAT_NOT_FOUND']);
    expect(await refusal(await call(s, 'DELETE', `/v1/chats/${mine.chatId}`))).toEqual([403, 'EMBED_KEY_FORBIDDEN']);
    expect(s.env.store.chats.messages(mine.chatId)).toHaveLength(2);
  });

  it('need a visitor session id', async () => {
    const s = await setup();
    const res = await call(s, 'POST', '/v1/collections/docs/search', {
      body: { query: 'x' },
      headers: { 'x-cairn-visitor': 'short' },
    });
    expect(await refusal(res)).toEqual([400, 'VALIDATION']);
  });

  it('are limited per visitor session, then per key, with 429 and Retry-After', async () => {
    const s = await setup({ server: { embedVisitorRatePerMinute: 2 } }, 3);
    const search = (visitor: string) =>
      call(s, 'POST', '/v1/collections/docs/search', { body: { query: 'x' }, headers: { 'x-cairn-visitor': visitor } });
    expect([(await search(VISITOR)).status, (await search(VISITOR)).status]).toEqual([200, 200]);
    const visitorLimited = await search(VISITOR);
    expect(visitorLimited.status).toBe(429);
    expect(visitorLimited.headers.get('retry-after')).toBe('30');
    expect(visitorLimited.headers.get('access-control-allow-origin')).toBe(SITE);
    const body = (await visitorLimited.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.details).toEqual({ limit: 2, scope: 'visitor', retryAfterSeconds: 30 });
    // The key's own 3 a minute: the refused request took one, so a new visitor is refused for the key.
    const keyLimited = await search('visitor_cccccccc');
    expect(keyLimited.status).toBe(429);
    expect(((await keyLimited.json()) as { error: { details: Record<string, unknown> } }).error.details).toEqual({
      limit: 3,
      scope: 'embed-key',
      retryAfterSeconds: 20,
    });
  });

  it('answer CORS preflights for their origins and for the widget, not for other pages', async () => {
    const s = await setup();
    const preflight = (origin: string, headers: string) =>
      s.env.app.request('/v1/collections/docs/ask', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
      });
    const ok = await preflight(SITE, 'authorization,content-type');
    expect([ok.status, ok.headers.get('access-control-allow-origin'), ok.headers.get('access-control-allow-headers')]).toEqual([
      204,
      SITE,
      'authorization, content-type, accept, x-cairn-visitor',
    ]);
    const widgetElsewhere = await preflight('https://evil.example', 'authorization,content-type,x-cairn-visitor');
    expect([widgetElsewhere.status, widgetElsewhere.headers.get('access-control-allow-origin')]).toEqual([
      204,
      'https://evil.example',
    ]);
    const plain = await preflight('https://evil.example', 'content-type');
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    // An admin key from the embed key's origin is no embed key: the origin check still refuses it.
    const admin = await s.env.app.request('/v1/collections', {
      method: 'POST',
      headers: { authorization: `Bearer ${s.admin}`, origin: SITE, 'content-type': 'application/json' },
      body: '{"name":"pwned"}',
    });
    expect(await refusal(admin)).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stop working once revoked, and their origins stop being answered', async () => {
    const s = await setup();
    s.env.store.apiKeys.revoke('site');
    expect(await refusal(await call(s, 'POST', '/v1/collections/docs/search', { body: { query: 'x' } }))).toEqual([
      403,
      'ORIGIN_NOT_ALLOWED',
    ]);
    expect(s.env.store.apiKeys.embedOrigins().size).toBe(0);
  });
});

describe('embed key units', () => {
  it('name the one action allowed, else refuse', () => {
    const embed = { collection: 'my docs', origins: [SITE], ratePerMinute: null };
    expect(embedAction('POST', '/v1/collections/my%20docs/ask', embed)).toEqual({ kind: 'ask' });
    expect(embedAction('POST', '/v1/collections/my%20docs/search', embed)).toEqual({ kind: 'search' });
    expect(embedAction('GET', '/v1/chats/chat_1', embed)).toEqual({ kind: 'chat', chatId: 'chat_1' });
    expect(() => embedAction('GET', '/v1/collections/my%20docs/search', embed)).toThrow(/may only search and ask/);
  });

  it('refill buckets continuously', () => {
    let time = 0;
    const take = createBuckets(() => time);
    expect([take('a', 60), take('a', 60)]).toEqual([null, null]);
    for (let i = 0; i < 58; i++) take('a', 60);
    expect(take('a', 60)).toBe(1);
    time = 1000;
    expect(take('a', 60)).toBeNull();
  });
});

describe('cairn keys create --embed', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main(args, {});
      return { code, out: out.mock.calls.flat().join(''), err: err.mock.calls.flat().join('') };
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  }

  it('makes a key bound to a collection and origins, and refuses one without origins or with scopes', async () => {
    env = createTestEnv();
    const data = ['--data', env.dataDir];
    const made = await cli([
      'keys',
      'create',
      'site',
      '--embed',
      'docs',
      '--origin',
      'https://a.example',
      '--origin',
      'https://B.example/',
      '--rate',
      '30',
      '--json',
      ...data,
    ]);
    expect(made.code).toBe(0);
    const printed = JSON.parse(made.out) as { key: string; apiKey: { embed: unknown; scopes: unknown } };
    expect(printed.key.startsWith('cairn_embed_')).toBe(true);
    expect([printed.apiKey.embed, printed.apiKey.scopes]).toEqual([
      { collection: 'docs', origins: ['https://a.example', 'https://b.example'], ratePerMinute: 30 },
      { docs: ['read'] },
    ]);
    const noOrigin = await cli(['keys', 'create', 'x', '--embed', 'docs', ...data]);
    expect([noOrigin.code, noOrigin.err.includes('an embed key needs the page origins')]).toEqual([2, true]);
    const mixed = await cli([
      'keys',
      'create',
      'y',
      '--embed',
      'docs',
      '--origin',
      'https://a.example',
      '--scope',
      '*:admin',
      ...data,
    ]);
    expect([mixed.code, mixed.err.includes('takes no --scope')]).toEqual([2, true]);
    const path = await cli(['keys', 'create', 'z', '--embed', 'docs', '--origin', 'https://a.example/page', ...data]);
    expect([path.code, path.err.includes('must be a page origin')]).toEqual([1, true]);
    const listed = await cli(['keys', 'list', ...data]);
    expect(listed.out).toContain('\tsite\tembed:docs origins:https://a.example,https://b.example rate:30/min\tlast used never');
    const other = openStore({ dataDir: env.dataDir });
    expect(other.apiKeys.list().map((k) => k.name)).toEqual(['site']);
    other.close();
  });
});
