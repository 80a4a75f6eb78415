import { afterEach, describe, expect, it } from 'vitest';
import { type AnswerEvent, answer } from '../../generation/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { collectEvents, createFakeSearch, createScriptedGenerator, testConfig, tokens } from './helpers.ts';

const FRANCE = ['Paris is the capital of France. It sits on the Seine river.'];
const BANANAS = ['Bananas are rich in potassium. They grow in tropical regions.'];
const Q = 'What is the capital of France?';
const S1 = 'Paris is the capital of France [1].';
const BAD = 'Bananas cure every illness [2].';
const S3 = 'It sits on the Seine river [1].';
const DRAFT = `${S1} ${BAD} ${S3}`;
const ABSTAIN = 'The documents do not answer this.';

/** Gated streaming through the answer pipeline over a seeded store: run once per backend. */
export function gatedStreamSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    async function setup() {
      seeded = await seedStore('geo', [
        { source: 'france.md', title: 'France', paragraphs: FRANCE },
        { source: 'bananas.md', paragraphs: BANANAS },
      ]);
      return createFakeSearch({ [Q]: [seeded.passage('france.md', 0), seeded.passage('bananas.md', 0)] });
    }

    /** The likelihood weight at 0 keeps the threshold at the configured 1.2 whatever the backend reports. */
    const NO_LIKELIHOOD = testConfig({ weights: { likelihood: 0 } });

    const released = (events: AnswerEvent[]) => events.flatMap((e) => (e.type === 'token' && !e.draft ? [e.text] : []));

    describe('gated streaming: a backend with two sequences grades sentence n while n+1 is generated', () => {
      it('releases each sentence once ISSUP keeps it; the unsupported one is never sent, stored or reported', async () => {
        const { search } = await setup();
        const log: string[] = [];
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(DRAFT), delayMs: 5 },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
            { complete: { support: ['none'] } },
            { complete: { support: ['full'] } },
          ],
          'scripted',
          { parallel: 2, log },
        );
        const ev = collectEvents();
        const onEvent = (e: AnswerEvent) => {
          ev.onEvent(e);
          if (e.type === 'token') log.push(`release ${e.text}`);
        };
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, onEvent);
        expect(result.answer).toBe(`${S1} ${S3}`);
        expect(result.decision).toBe('revised');
        expect(result.mode).toBe('generative');
        expect(released(ev.events)).toEqual([S1, ` ${S3}`]);
        expect(released(ev.events).join('')).toBe(result.answer);
        const final = ev.events.find((e) => e.type === 'final');
        expect(final).toEqual({ type: 'final', answer: result.answer, citations: result.citations });
        for (const event of ev.events) expect(JSON.stringify(event)).not.toContain('Bananas cure');
        const stored = await seeded.store.chats.messages(result.chatId as string);
        expect(stored.map((m) => m.content)).toEqual([Q, result.answer]);
        expect(JSON.stringify(stored)).not.toContain('Bananas cure');
        // The first sentence went out before the stream produced its last token.
        const firstRelease = log.indexOf(`release ${S1}`);
        const lastToken = log.indexOf(`yield ${tokens(DRAFT).at(-1)}`);
        expect([firstRelease > 0, lastToken > firstRelease]).toEqual([true, true]);
        expect(log.filter((l) => l.endsWith('call'))).toEqual([
          'complete call',
          'stream call',
          'complete call',
          'complete call',
          'complete call',
          'complete call',
        ]);
        expect(gen.remaining()).toBe(0);
      });

      it('grades together the sentences completed while the grader was busy', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(DRAFT), delayMs: 2 },
            { complete: { support: ['full'] }, delayMs: 80 },
            { complete: { usefulness: 5 } },
            { complete: { support: ['none', 'full'] } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect(result.answer).toBe(`${S1} ${S3}`);
        expect(gen.calls[4]?.request.messages.at(-1)?.content).toContain(`1. ${BAD}\n2. ${S3}`);
        const issup = ev.events.flatMap((e) => (e.type === 'reflection' && e.stage === 'issup' ? [e.verdict] : []));
        expect(issup).toEqual([
          [{ markers: [1], support: 'full' }],
          [
            { markers: [2], support: 'none' },
            { markers: [1], support: 'full' },
          ],
        ]);
        expect(gen.remaining()).toBe(0);
      });

      it('sends each citation with the first sentence that cites it', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(`${S1} ${S3}`) },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 4 } },
            { complete: { support: ['full'] } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        const order = ev.events.flatMap((e) =>
          e.type === 'token' ? [`token ${e.text}`] : e.type === 'citation' ? [`cite ${e.citation.quote}`] : [],
        );
        expect(order).toEqual([
          `token ${S1}`,
          'cite Paris is the capital of France.',
          `token ${` ${S3}`}`,
          'cite It sits on the Seine river.',
        ]);
        expect(result.citations.map((c) => c.quote)).toEqual(['Paris is the capital of France.', 'It sits on the Seine river.']);
        expect(result.score?.total).toBe(2.25);
      });

      it('streams only the abstention when no sentence is supported', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(`${BAD} Bananas are blue [2].`) },
            { complete: { support: ['none'] } },
            { complete: { support: ['none'] } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect([result.decision, result.abstainReason, result.answer]).toEqual(['abstained', 'unsupported', ABSTAIN]);
        expect(released(ev.events)).toEqual([ABSTAIN]);
        expect(ev.events.some((e) => e.type === 'citation')).toBe(false);
        for (const event of ev.events) expect(JSON.stringify(event)).not.toContain('Bananas are blue');
        expect(result.sentences.map((s) => [s.text, s.support])).toEqual([
          ['', 'none'],
          ['', 'none'],
        ]);
      });

      it('holds the answer when the gate does not open on the first sentence, then decides on the whole', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(`${S1} ${S3}`) },
            { complete: { support: ['partial'] } },
            { complete: { usefulness: 1 } },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 1 } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(
          makeDeps(seeded, gen.generator, search, NO_LIKELIHOOD),
          { collection: 'geo', question: Q },
          ev.onEvent,
        );
        // Threshold 1.2 (no likelihood weight, so no rescaling). First sentence alone: 1 + 0.5 − 0.5 = 1.0 < 1.2 (held). Whole answer: 1 + 0.75 − 0.5 = 1.25.
        expect(result.score?.total).toBe(1.25);
        expect(result.decision).toBe('answered');
        const gate = ev.events.flatMap((e) => (e.type === 'reflection' && e.stage === 'gate' ? [e.verdict] : []));
        expect(gate.map((v) => (v as { decision: string }).decision)).toEqual(['held', 'answered']);
        const firstToken = ev.events.findIndex((e) => e.type === 'token');
        const lastReflection = ev.events.findLastIndex((e) => e.type === 'reflection');
        expect(firstToken).toBeGreaterThan(lastReflection);
        expect(released(ev.events)).toEqual([S1, ` ${S3}`]);
      });

      it('abstains unseen when the held answer stays below the threshold', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(S1) },
            { complete: { support: ['partial'] } },
            { complete: { usefulness: 1 } },
            { complete: { usefulness: 1 } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(
          makeDeps(seeded, gen.generator, search, NO_LIKELIHOOD),
          { collection: 'geo', question: Q },
          ev.onEvent,
        );
        expect([result.decision, result.abstainReason]).toEqual(['abstained', 'below_threshold']);
        expect(released(ev.events)).toEqual([ABSTAIN]);
      });

      it('withholds a sentence the grader cannot judge once earlier ones are out, keeping what was shown', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true, true] } },
            { stream: tokens(`${S1} ${S3}`) },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
            { complete: 'not json' },
            { complete: 'still not json' },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect([result.answer, result.decision, result.abstainReason, result.complete]).toEqual([S1, 'revised', null, true]);
        expect(released(ev.events)).toEqual([S1]);
        expect(result.notes).toContain(
          'The ISSUP grader returned invalid output twice after part of the answer was shown: 1 sentence withheld unchecked; the shown part stands.',
        );
        // Not judged, so not 'none': withheld unchecked, its text never leaves.
        expect(result.sentences.map((s) => [s.text, s.support, s.removed])).toEqual([
          [S1, 'full', false],
          ['', null, true],
        ]);
        expect(ev.events.at(-1)?.type).toBe('done');
        for (const event of ev.events) expect(JSON.stringify(event)).not.toContain('Seine river [1]');
      });
    });

    describe('gated streaming on a one-sequence backend, and draft mode', () => {
      it('grades the whole draft first, then releases sentence by sentence (no unsupported text anywhere)', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true, true] } },
          { stream: tokens(DRAFT) },
          { complete: { support: ['full', 'none', 'full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect(result.answer).toBe(`${S1} ${S3}`);
        expect(released(ev.events)).toEqual([S1, ` ${S3}`]);
        for (const event of ev.events) expect(JSON.stringify(event)).not.toContain('Bananas cure');
      });

      it('marks every draft token as draft and replaces them with a final event', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true, true] } },
          { stream: tokens(DRAFT) },
          { complete: { support: ['full', 'none', 'full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const ev = collectEvents();
        const deps = makeDeps(seeded, gen.generator, search, testConfig({ stream: 'draft' }));
        const result = await answer(deps, { collection: 'geo', question: Q }, ev.onEvent);
        const tokenEvents = ev.events.filter((e) => e.type === 'token');
        expect(tokenEvents.map((e) => (e.type === 'token' ? e.text : '')).join('')).toBe(DRAFT);
        expect(tokenEvents.every((e) => e.type === 'token' && e.draft === true)).toBe(true);
        expect(ev.types().slice(-4)).toEqual(['citation', 'citation', 'final', 'done']);
        expect(ev.events.at(-2)).toEqual({ type: 'final', answer: `${S1} ${S3}`, citations: result.citations });
        expect((await seeded.store.chats.messages(result.chatId as string))[1]?.content).toBe(`${S1} ${S3}`);
      });

      it('releases unchecked sentences as they complete when reflection is turned off, never a decline', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([{ stream: tokens(`${S1} ${S3}`) }]);
        const ev = collectEvents();
        const result = await answer(
          makeDeps(seeded, gen.generator, search),
          { collection: 'geo', question: Q, reflect: false },
          ev.onEvent,
        );
        expect(released(ev.events)).toEqual([S1, ` ${S3}`]);
        expect(result.answer).toBe(`${S1} ${S3}`);
        expect(result.sentences.map((s) => [s.start, s.end])).toEqual([
          [0, S1.length],
          [S1.length + 1, S1.length + 1 + S3.length],
        ]);
      });
    });

    describe('mode reports what ran', () => {
      it('is extractive without a generator, none for an empty collection, generative when generated', async () => {
        const { search } = await setup();
        const extractive = await answer(makeDeps(seeded, null, search), { collection: 'geo', question: Q });
        expect(extractive.mode).toBe('extractive');
        const gen = createScriptedGenerator([
          { complete: { relevant: [false, false] } },
          { complete: 'capital' },
          { complete: { relevant: [false, false] } },
        ]);
        const nothing = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect([nothing.mode, nothing.abstainReason]).toEqual(['none', 'no_relevant_passages']);
        await seeded.store.collections.create({ name: 'empty' });
        const ev = collectEvents();
        const empty = await answer(makeDeps(seeded, null, search), { collection: 'empty', question: Q }, ev.onEvent);
        expect([empty.mode, empty.decision, empty.abstainReason]).toEqual(['none', 'abstained', 'empty_collection']);
        expect(released(ev.events)).toEqual([empty.answer]);
        const withGenerator = await answer(makeDeps(seeded, createScriptedGenerator([]).generator, search), {
          collection: 'empty',
          question: Q,
        });
        expect(withGenerator.mode).toBe('none');
      });
    });
  });
}
