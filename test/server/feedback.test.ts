import { afterEach, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { startSdkServer } from '../sdk/helpers.ts';
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
  env.store.collections.create({ name: 'other' });
  const chat = env.store.chats.create({ collectionId: 'docs' });
  env.store.chats.addMessage({ chatId: chat.id, role: 'user', content: 'What do cairns mark?', result: null });
  env.store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: 'Trails [1].', result: { answer: 'Trails [1].' } });
  const admin = env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
  const reader = env.store.apiKeys.create({ name: 'reader', scopes: { docs: ['read'] } }).key;
  const outsider = env.store.apiKeys.create({ name: 'outsider', scopes: { other: ['admin'] } }).key;
  const embed = env.store.apiKeys.createEmbed({ name: 'site', collection: 'docs', origins: [SITE] });
  return { env, chatId: chat.id, admin, reader, outsider, embed: embed.key, embedId: embed.apiKey.id };
}

function rate(e: TestEnv, key: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return e.app.request(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function refusal(res: Response): Promise<[number, string]> {
  return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('POST /v1/chats/{id}/turns/{n}/feedback', () => {
  it("stores a rating on the answer and shows it in the chat's JSON; a second rating replaces the first", async () => {
    const s = setup();
    const res = await rate(s.env, s.reader, `/v1/chats/${s.chatId}/turns/1/feedback`, { rating: 'down', comment: 'Too short' });
    const body = (await res.json()) as { feedback: { rating: string; comment: string; at: string } };
    expect([res.status, body.feedback.rating, body.feedback.comment, ISO.test(body.feedback.at)]).toEqual([
      200,
      'down',
      'Too short',
      true,
    ]);
    const read = async () => {
      const chat = await s.env.app.request(`/v1/chats/${s.chatId}`, { headers: { authorization: `Bearer ${s.reader}` } });
      return ((await chat.json()) as { messages: { role: string; feedback: unknown }[] }).messages;
    };
    expect((await read()).map((m) => [m.role, m.feedback])).toEqual([
      ['user', null],
      ['assistant', body.feedback],
    ]);
    await rate(s.env, s.reader, `/v1/chats/${s.chatId}/turns/1/feedback`, { rating: 'up' });
    const replaced = (await read())[1]?.feedback as { rating: string; comment: unknown };
    expect([replaced.rating, replaced.comment]).toEqual(['up', null]);
  });

  it('refuses a question, a missing turn, a non-number turn, a bad rating and an unknown chat', async () => {
    const s = setup();
    const base = `/v1/chats/${s.chatId}/turns`;
    expect([
      await refusal(await rate(s.env, s.admin, `${base}/0/feedback`, { rating: 'up' })),
      await refusal(await rate(s.env, s.admin, `${base}/2/feedback`, { rating: 'up' })),
      await refusal(await rate(s.env, s.admin, `${base}/-1/feedback`, { rating: 'up' })),
      await refusal(await rate(s.env, s.admin, `${base}/1/feedback`, { rating: 'meh' })),
      await refusal(await rate(s.env, s.admin, `${base}/1/feedback`, { rating: 'up', extra: 1 })),
      await refusal(await rate(s.env, s.admin, '/v1/chats/chat_none/turns/1/feedback', { rating: 'up' })),
    ]).toEqual([
      [400, 'VALIDATION'],
      [404, 'NOT_FOUND'],
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [400, 'VALIDATION'],
      [404, 'CHAT_NOT_FOUND'],
    ]);
    expect(s.env.store.db.prepare('SELECT count(*) AS n FROM message_feedback').get()).toEqual({ n: 0 });
  });

  it("needs read on the chat's collection", async () => {
    const s = setup();
    const res = await rate(s.env, s.outsider, `/v1/chats/${s.chatId}/turns/1/feedback`, { rating: 'up' });
    expect(await refusal(res)).toEqual([403, 'FORBIDDEN']);
  });

  it("lets an embed key rate only its visitor's chats", async () => {
    const s = setup();
    const embedHeaders = (visitor: string) => ({ origin: SITE, 'sec-fetch-site': 'cross-site', 'x-cairn-visitor': visitor });
    const path = `/v1/chats/${s.chatId}/turns/1/feedback`;
    expect(await refusal(await rate(s.env, s.embed, path, { rating: 'up' }, embedHeaders(VISITOR)))).toEqual([
      404,
      'CHAT_NOT_FOUND',
    ]);
    s.env.store.apiKeys.claimChat(s.chatId, s.embedId, VISITOR);
    const mine = await rate(s.env, s.embed, path, { rating: 'up' }, embedHeaders(VISITOR));
    expect(mine.status).toBe(200);
    const other = await rate(s.env, s.embed, path, { rating: 'down' }, embedHeaders('visitor_bbbbbbbb'));
    expect(await refusal(other)).toEqual([404, 'CHAT_NOT_FOUND']);
    expect(s.env.store.db.prepare('SELECT rating FROM message_feedback').all()).toEqual([{ rating: 'up' }]);
  });

  it('goes with its chat', async () => {
    const s = setup();
    await rate(s.env, s.admin, `/v1/chats/${s.chatId}/turns/1/feedback`, { rating: 'up' });
    const deleted = await s.env.app.request(`/v1/chats/${s.chatId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.admin}` },
    });
    expect(deleted.status).toBe(200);
    expect(s.env.store.db.prepare('SELECT count(*) AS n FROM message_feedback').get()).toEqual({ n: 0 });
  });

  it('cairn.chats.feedback over a real socket', async () => {
    const running = await startSdkServer();
    try {
      const cairn = new Cairn({ baseUrl: running.url, maxRetries: 0 });
      await cairn.collections.create({ name: 'docs' });
      const result = await cairn.ask('docs', { question: 'What do cairns mark?' }).result();
      const chatId = result.chatId ?? '';
      const given = await cairn.chats.feedback(chatId, 1, { rating: 'up', comment: 'Clear' });
      expect([given.rating, given.comment]).toEqual(['up', 'Clear']);
      const chat = await cairn.chats.get(chatId);
      expect(chat.messages.map((m) => m.feedback?.rating ?? null)).toEqual([null, 'up']);
    } finally {
      await running.close();
    }
  });
});
