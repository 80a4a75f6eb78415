import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { answer } from '../../generation/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { collectEvents, createFakeSearch, createScriptedGenerator, testConfig, tokens } from './helpers.ts';

const Q = 'What is the capital of France?';

/** Bad input to the answer pipeline over a seeded store: run once per backend. */
export function badInputSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    async function setup() {
      seeded = await seedStore('geo', [
        { source: 'france.md', paragraphs: ['Paris is the capital of France. It sits on the Seine river.'] },
      ]);
      return createFakeSearch({}, [seeded.passage('france.md', 0)]);
    }

    async function rejection(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      throw new Error('expected a rejection');
    }

    describe('answer: bad input', () => {
      it('refuses an empty question with VALIDATION and calls nothing', async () => {
        const { search, requests } = await setup();
        const gen = createScriptedGenerator([]);
        const error = await rejection(answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: '   ' }));
        expect(isCairnError(error, 'VALIDATION')).toBe(true);
        expect(requests).toEqual([]);
        expect(gen.calls).toEqual([]);
      });

      it('refuses a bad k or retrieve mode with VALIDATION', async () => {
        const { search } = await setup();
        const deps = makeDeps(seeded, null, search);
        expect(isCairnError(await rejection(answer(deps, { collection: 'geo', question: Q, k: 0 })), 'VALIDATION')).toBe(true);
        const bad = { collection: 'geo', question: Q, retrieve: 'sometimes' as 'auto' };
        expect(isCairnError(await rejection(answer(deps, bad)), 'VALIDATION')).toBe(true);
      });

      it('names an unknown collection and an unknown chat', async () => {
        const { search } = await setup();
        const deps = makeDeps(seeded, null, search);
        expect(isCairnError(await rejection(answer(deps, { collection: 'nope', question: Q })), 'COLLECTION_NOT_FOUND')).toBe(
          true,
        );
        expect(
          isCairnError(await rejection(answer(deps, { collection: 'geo', question: Q, chatId: 'chat_x' })), 'CHAT_NOT_FOUND'),
        ).toBe(true);
      });

      it('cuts a 20,000-character question to answer.maxQuestionChars and says so', async () => {
        const { search, requests } = await setup();
        const long = `What is the capital of France? ${'very '.repeat(4000)}`.slice(0, 20_000);
        const result = await answer(makeDeps(seeded, null, search), { collection: 'geo', question: long });
        expect(result.question.length).toBe(20_000);
        expect(result.standaloneQuestion.length).toBeLessThanOrEqual(4000);
        expect(result.standaloneQuestion.length).toBeGreaterThan(3200);
        expect(requests[0]?.query).toBe(result.standaloneQuestion);
        expect(result.notes[0]).toBe(
          `The question was cut to ${result.standaloneQuestion.length} of 20000 characters (answer.maxQuestionChars).`,
        );
      });

      it('answers a collection with no documents with a clear message and no generator call', async () => {
        seeded = await seedStore('geo', []);
        const { search, requests } = createFakeSearch({});
        const gen = createScriptedGenerator([]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result.decision).toBe('abstained');
        expect(result.abstainReason).toBe('empty_collection');
        expect(result.answer).toBe('The collection "geo" has no documents yet; add some with `cairn ingest`.');
        expect(gen.calls).toEqual([]);
        expect(requests).toEqual([]);
      });

      it('turns a generator failing mid-stream into an error event and an incomplete partial result', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens('Paris is the'), thenFail: new Error('device lost') },
        ]);
        const ev = collectEvents();
        const deps = makeDeps(seeded, gen.generator, search, testConfig({ stream: 'draft' }));
        const result = await answer(deps, { collection: 'geo', question: Q }, ev.onEvent);
        expect(result.complete).toBe(false);
        expect(result.error).toEqual({ code: 'GENERATOR_FAILED', message: 'The generator failed: device lost' });
        // The draft tokens were marked draft; nothing passed the gate, so the answer kept is empty.
        expect(result.answer).toBe('');
        expect(ev.types().slice(-4)).toEqual(['token', 'token', 'token', 'error']);
        expect(ev.types()).not.toContain('done');
      });

      it('times out a stalled stream instead of hanging', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([{ complete: { relevant: [true] } }, { stream: tokens('Paris is'), thenHang: true }]);
        const deps = makeDeps(seeded, gen.generator, search, testConfig({ timeoutMs: 100 }));
        const result = await answer(deps, { collection: 'geo', question: Q });
        expect(result.complete).toBe(false);
        expect(result.error?.code).toBe('TIMEOUT');
        expect(result.answer).toBe('');
      });

      it('times out a stalled grader call', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([]);
        gen.generator.complete = () => new Promise(() => {});
        const deps = makeDeps(seeded, gen.generator, search, testConfig({ timeoutMs: 100 }));
        const result = await answer(deps, { collection: 'geo', question: Q });
        expect(result.error?.code).toBe('TIMEOUT');
      });

      it('cancels generation when the client disconnects (AbortSignal)', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([{ complete: { relevant: [true] } }, { stream: tokens('Paris is'), thenHang: true }]);
        const controller = new AbortController();
        const ev = collectEvents();
        const onEvent = (e: Parameters<typeof ev.onEvent>[0]) => {
          ev.onEvent(e);
          if (e.type === 'token') controller.abort();
        };
        const started = Date.now();
        const result = await answer(
          makeDeps(seeded, gen.generator, search, testConfig({ stream: 'draft' })),
          { collection: 'geo', question: Q, signal: controller.signal },
          onEvent,
        );
        expect(Date.now() - started).toBeLessThan(2000);
        expect(result.complete).toBe(false);
        expect(result.error?.code).toBe('CANCELLED');
        expect(gen.calls[1]?.request.signal?.aborted).toBe(true);
        expect(ev.types().at(-1)).toBe('error');
      });
    });
  });
}
