import { afterEach, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const SITE = 'https://site.example';
const VISITOR = 'visitor_aaaaaaaa';

function setup() {
  env = createTestEnv();
  env.store.collections.create({ name: 'docs' });
  const chat = env.store.chats.create({ collectionId: 'docs' });
  env.store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What do cairns mark?', result: null });
  const admin = env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
  const reader = env.store.apiKeys.create({ name: 'reader', scopes: { docs: ['read'] } }).key;
  const writer = env.store.apiKeys.create({ name: 'writer', scopes: { docs: ['write'] } }).key;
  const embed = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: [SITE] });
  env.store.apiKeys.claimChat(chat.id, embed.apiKey.id, VISITOR);
  return { env, chatId: chat.id, admin, reader, writer, embed: embed.key };
}

/** The SDK over the app in memory, with a key. */
function sdk(e: TestEnv, key: string): Cairn {
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => e.app.request(String(input), init)) as typeof globalThis.fetch;
  return new Cairn({ baseUrl: 'http://127.0.0.1', apiKey: key, fetch, maxRetries: 0 });
}

function patch(e: TestEnv, key: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return e.app.request(path, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function refusal(res: Response): Promise<[number, string]> {
  return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
}

describe('PATCH /v1/chats/{id}', () => {
  it('renames a chat over REST and with chats.update; the history shows the new title and keeps its order', async () => {
    const s = setup();
    const before = s.env.store.chats.require(s.chatId);
    expect(before.title).toBe('What do cairns mark?');
    const res = await patch(s.env, s.writer, `/v1/chats/${s.chatId}`, { title: '  Trail markers ' });
    const body = (await res.json()) as { id: string; title: string; updatedAt: string };
    expect([res.status, body.id, body.title, body.updatedAt]).toEqual([200, s.chatId, 'Trail markers', before.updatedAt]);
    const renamed = await sdk(s.env, s.writer).chats.update(s.chatId, { title: 'Cairns' });
    expect([renamed.id, renamed.title]).toEqual([s.chatId, 'Cairns']);
    const listed = await sdk(s.env, s.reader).chats.list();
    expect(listed.map((chat) => [chat.id, chat.title])).toEqual([[s.chatId, 'Cairns']]);
  });

  it('refuses an empty or long title, extra fields, an unknown chat, a read-only key and an embed key', async () => {
    const s = setup();
    const path = `/v1/chats/${s.chatId}`;
    const embedHeaders = { origin: SITE, 'sec-fetch-site': 'cross-site', 'x-cairn-visitor': VISITOR };
    expect([
      await refusal(await patch(s.env, s.admin, path, { title: '   ' })),
      await refusal(await patch(s.env, s.admin, path, { title: 'x'.repeat(201) })),
      await refusal(await patch(s.env, s.admin, path, { title: 'ok', collection: 'other' })),
      await refusal(await patch(s.env, s.admin, '/v1/chats/chat_none', { title: 'ok' })),
      await refusal(await patch(s.env, s.reader, path, { title: 'ok' })),
      await refusal(await patch(s.env, s.embed, path, { title: 'ok' }, embedHeaders)),
    ]).toEqual([
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [404, 'CHAT_NOT_FOUND'],
      [403, 'FORBIDDEN'],
      [403, 'EMBED_KEY_FORBIDDEN'],
    ]);
    expect(s.env.store.chats.require(s.chatId).title).toBe('What do cairns mark?');
  });
});

describe('a collection display title (PATCH /v1/collections/{c} {title})', () => {
  it('sets, shows and clears the title; the name, the id and the document ids stay', async () => {
    const s = setup();
    const cairn = sdk(s.env, s.admin);
    expect((await cairn.collections.get('docs')).title).toBe('docs');
    const updated = await cairn.collections.update('docs', { title: 'Trail documents' });
    expect([updated.id, updated.name, updated.title, updated.settings.title]).toEqual([
      'docs',
      'docs',
      'Trail documents',
      'Trail documents',
    ]);
    expect((await cairn.collections.list()).map((c) => [c.name, c.title])).toEqual([['docs', 'Trail documents']]);
    const cleared = await cairn.collections.update('docs', { title: '' });
    expect([cleared.name, cleared.title]).toEqual(['docs', 'docs']);
  });
});
