import { afterEach, describe, expect, it } from 'vitest';
import { createAnswerPrinter } from '../../cli/commands/ask.ts';
import type { CommandContext } from '../../cli/context.ts';
import { type AnswerEvent, type AskRequest, answer } from '../../generation/index.ts';
import type { Generator } from '../../models/types.ts';
import { createTestEnv, json, type TestEnv } from '../server/helpers.ts';
import { createFakeSearch, createScriptedGenerator, makeDeps, seedStore, testConfig, tokens } from './helpers.ts';

// Every client of one answer whose middle sentence ISSUP rejects: the SSE ask route, the
// OpenAI-compatible stream, `cairn ask` and the stored chat. The rejected sentence reaches none.
const Q = 'What is the capital of France?';
const S1 = 'Paris is the capital of France [1].';
const BAD = 'Bananas cure every illness [1].';
const S3 = 'It sits on the Seine river [1].';
const FINAL = `${S1} ${S3}`;

const script = () => [
  { complete: { relevant: [true] } },
  { stream: tokens(`${S1} ${BAD} ${S3}`) },
  { complete: { support: ['full'] } },
  { complete: { usefulness: 5 } },
  { complete: { support: ['none'] } },
  { complete: { support: ['full'] } },
];
const batchScript = () => [
  { complete: { relevant: [true] } },
  { stream: tokens(`${S1} ${BAD} ${S3}`) },
  { complete: { support: ['full', 'none', 'full'] } },
  { complete: { usefulness: 5 } },
];

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

/** The server's test app with the real answer pipeline behind it, on a scripted generator. */
function serve(generator: Generator, stream: 'gated' | 'draft') {
  env = createTestEnv();
  const seeded = seedStore(
    'geo',
    [{ source: 'france.md', title: 'France', paragraphs: ['Paris is the capital of France. It sits on the Seine river.'] }],
    env.store,
  );
  const { search } = createFakeSearch({ [Q]: [seeded.passage('france.md', 0)] });
  const deps = makeDeps(env.store, generator, search, testConfig({ stream }));
  env.deps.services.answer = (call, onEvent) => answer(deps, call as AskRequest, onEvent as (e: AnswerEvent) => void);
  return env;
}

function sseData(body: string): { event: string; data: string }[] {
  return body
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => ({
      event: /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message',
      data: block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.replace(/^data: ?/, ''))
        .join('\n'),
    }));
}

describe('no client sees a sentence the gate rejected', () => {
  for (const [name, make] of [
    ['two sequences (overlapped)', () => createScriptedGenerator(script(), 'scripted', { parallel: 2 })],
    ['one sequence (graded after the draft)', () => createScriptedGenerator(batchScript())],
  ] as const) {
    it(`SSE ask and the stored chat, ${name}`, async () => {
      const { app, store } = serve(make().generator, 'gated');
      const res = await app.request('/v1/collections/geo/ask', json({ question: Q, stream: true }));
      const body = await res.text();
      expect(body).not.toContain('Bananas');
      const events = sseData(body);
      const released = events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text);
      expect(released).toEqual([S1, ` ${S3}`]);
      const final = events.find((e) => e.event === 'final');
      expect((JSON.parse(final?.data ?? '{}') as { answer: string }).answer).toBe(FINAL);
      const done = JSON.parse(events.at(-1)?.data ?? '{}') as { result: { chatId: string; answer: string } };
      expect(done.result.answer).toBe(FINAL);
      const stored = store.chats.messages(done.result.chatId);
      expect(stored.map((m) => m.content)).toEqual([Q, FINAL]);
      expect(JSON.stringify(stored)).not.toContain('Bananas');
    });
  }

  for (const mode of ['gated', 'draft'] as const) {
    it(`the OpenAI-compatible stream in ${mode} mode: no draft, no "---", the final text then its sources`, async () => {
      const generator =
        mode === 'gated'
          ? createScriptedGenerator(script(), 'scripted', { parallel: 2 })
          : createScriptedGenerator(batchScript());
      const { app } = serve(generator.generator, mode);
      const res = await app.request(
        '/v1/chat/completions',
        json({ model: 'geo', stream: true, messages: [{ role: 'user', content: Q }] }),
      );
      const body = await res.text();
      expect(body).not.toContain('Bananas');
      expect(body).not.toContain('---');
      const chunks = sseData(body)
        .map((e) => e.data)
        .filter((d) => d !== '[DONE]')
        .map((d) => JSON.parse(d) as { choices: { delta: { content?: string } }[] });
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe(`${FINAL}\n\nSources:\n[1] France — france.md`);
    });
  }

  for (const mode of ['gated', 'draft'] as const) {
    it(`cairn ask prints only released text in ${mode} mode`, async () => {
      const seeded = seedStore('geo', [
        { source: 'france.md', title: 'France', paragraphs: ['Paris is the capital of France. It sits on the Seine river.'] },
      ]);
      const { search } = createFakeSearch({ [Q]: [seeded.passage('france.md', 0)] });
      const generator =
        mode === 'gated'
          ? createScriptedGenerator(script(), 'scripted', { parallel: 2 })
          : createScriptedGenerator(batchScript());
      const out: string[] = [];
      const ctx = { json: false, stdout: (t: string) => out.push(`${t}\n`), stderr: (t: string) => out.push(`${t}\n`) };
      const printer = createAnswerPrinter(ctx as unknown as CommandContext, (t) => out.push(t));
      const deps = makeDeps(seeded.store, generator.generator, search, testConfig({ stream: mode }));
      const result = await answer(deps, { collection: 'geo', question: Q }, (e) => printer.onEvent(e));
      printer.finish(result);
      seeded.store.close();
      const printed = out.join('');
      expect(printed).not.toContain('Bananas');
      expect(printed.startsWith(`${FINAL}\n`)).toBe(true);
    });
  }
});
