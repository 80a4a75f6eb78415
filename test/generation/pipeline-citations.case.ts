import { afterEach, describe, expect, it } from 'vitest';
import { type AnswerEvent, answer } from '../../generation/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { collectEvents, createFakeSearch, createScriptedGenerator, testConfig, tokens } from './helpers.ts';

const CAPITAL = 'Paris is the capital of France.';
const RIVER = 'It sits on the Seine river.';
const FRANCE = [`${CAPITAL} ${RIVER}`];
const Q = 'What is the capital of France?';
const S1 = 'Paris is the capital of France [1].';
const S2 = 'The Seine flows through it [1].';

/** Citations through the answer pipeline over a seeded store: run once per backend. */
export function citationsSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    async function setup(paragraphs = FRANCE) {
      seeded = await seedStore('geo', [{ source: 'france.md', title: 'France', paragraphs }]);
      return createFakeSearch({ [Q]: [seeded.passage('france.md', 0)] });
    }

    /** A cross-encoder fake: scores from a table (0.01 otherwise), recording every call. */
    function fakeReranker(table: Record<string, number>) {
      const asked: { query: string; texts: string[] }[] = [];
      const scorer = async (query: string, texts: string[]) => {
        asked.push({ query, texts });
        return texts.map((t) => table[t] ?? 0.01);
      };
      return { scorer, asked };
    }

    const citationView = (events: AnswerEvent[]) =>
      events.flatMap((e) => (e.type === 'citation' ? [[e.citation.quote, e.citation.spanBasis]] : []));

    describe('citation spans chosen with the reranker through the pipeline', () => {
      it('one sequence: the span is the run the reranker scored best, marked reranker', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(S1) },
          { complete: { support: ['full'] } },
          { complete: { usefulness: 5 } },
        ]);
        // Overlap would quote CAPITAL; the fake reranker prefers RIVER, so a RIVER quote can only come from it.
        const { scorer, asked } = fakeReranker({ [RIVER]: 0.9 });
        const deps = makeDeps(seeded, gen.generator, search, testConfig(), scorer);
        const result = await answer(deps, { collection: 'geo', question: Q });
        expect(result.citations.map((c) => [c.marker, c.start, c.end, c.quote, c.spanBasis])).toEqual([
          [1, 32, 59, RIVER, 'reranker'],
        ]);
        expect(asked).toEqual([{ query: 'Paris is the capital of France.', texts: [CAPITAL, FRANCE[0], RIVER] }]);
      });

      it('without a reranker the same answer quotes by word overlap', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(S1) },
          { complete: { support: ['full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result.citations.map((c) => [c.start, c.end, c.quote, c.spanBasis])).toEqual([[0, 31, CAPITAL, 'overlap']]);
      });

      it('a reranker that answers no scores (none loaded after all) or fails leaves the span to overlap', async () => {
        for (const scorer of [async () => [], async () => Promise.reject(new Error('reranker worker stopped'))]) {
          const { search } = await setup();
          const gen = createScriptedGenerator([
            { complete: { relevant: [true] } },
            { stream: tokens(S1) },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
          ]);
          const result = await answer(makeDeps(seeded, gen.generator, search, testConfig(), scorer), {
            collection: 'geo',
            question: Q,
          });
          expect(result.citations.map((c) => [c.quote, c.spanBasis])).toEqual([[CAPITAL, 'overlap']]);
          await seeded.close();
        }
      });

      it('two sequences: the released citation event and the final result carry the same reranker span, ranked once', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true] } },
            { stream: tokens(`${S1} ${S2}`), delayMs: 5 },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
            { complete: { support: ['full'] } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const { scorer, asked } = fakeReranker({ [CAPITAL]: 0.7, [RIVER]: 0.8 });
        const ev = collectEvents();
        const deps = makeDeps(seeded, gen.generator, search, testConfig(), scorer);
        const result = await answer(deps, { collection: 'geo', question: Q }, ev.onEvent);
        expect(result.answer).toBe(`${S1} ${S2}`);
        // Both claims rank RIVER best: one span, one citation, sent with the first sentence.
        expect(citationView(ev.events)).toEqual([[RIVER, 'reranker']]);
        expect(result.citations.map((c) => [c.quote, c.spanBasis])).toEqual([[RIVER, 'reranker']]);
        expect(asked.map((a) => a.query)).toEqual(['Paris is the capital of France.', 'The Seine flows through it.']);
      });

      it('without reflection, sentences released as they complete carry reranker spans too', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([{ stream: tokens(S1) }]);
        const { scorer } = fakeReranker({ [FRANCE[0] as string]: 0.9 });
        const ev = collectEvents();
        const deps = makeDeps(seeded, gen.generator, search, testConfig(), scorer);
        const result = await answer(deps, { collection: 'geo', question: Q, reflect: false }, ev.onEvent);
        expect(citationView(ev.events)).toEqual([[FRANCE[0], 'reranker']]);
        expect(result.citations.map((c) => [c.start, c.end, c.spanBasis])).toEqual([[0, 59, 'reranker']]);
      });
    });

    describe('citation quotes are shown as read', () => {
      it('joins a line-end hyphen and wrapped lines in the quote; start/end stay exact in the stored text', async () => {
        const wrapped = 'Dense passage retrieval is very ef-\nficient on GPUs and on CPUs as\nwell. It was first tested in 2020.';
        seeded = await seedStore('geo', [{ source: 'dpr.md', paragraphs: [wrapped] }]);
        const question = 'Is dense retrieval efficient?';
        const { search } = createFakeSearch({ [question]: [seeded.passage('dpr.md', 0)] });
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens('Dense passage retrieval is efficient on GPUs and CPUs [1].') },
          { complete: { support: ['full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question });
        const [citation] = result.citations;
        expect([citation?.quote, citation?.start, citation?.end]).toEqual([
          'Dense passage retrieval is very efficient on GPUs and on CPUs as well.',
          0,
          72,
        ]);
        expect(seeded.docText('dpr.md').slice(0, 72)).toBe(
          'Dense passage retrieval is very ef-\nficient on GPUs and on CPUs as\nwell.',
        );
      });
    });

    describe('the likelihood mean counts every token a chunk covers', () => {
      it('two sequences: chunks of two tokens at logprob -0.4 each mean -0.2 per token, p(y) = exp(-0.2)', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true] } },
            { stream: tokens(S1), logprob: -0.4, logprobTokens: 2 },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result.answer).toBe(S1);
        // Counting one token per chunk would give exp(-0.4) = 0.6703.
        expect(result.score).toMatchObject({ likelihood: 0.8187, likelihoodStatus: 'measured', total: 3.3187 });
      });

      it('one sequence (generate.ts) gives the same mean', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(S1), logprob: -0.4, logprobTokens: 2 },
          { complete: { support: ['full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result.score).toMatchObject({ likelihood: 0.8187, likelihoodStatus: 'measured', total: 3.3187 });
      });
    });

    describe('a grader that fails after sentences were released', () => {
      it('withholds only what it could not judge; the next sentence is still graded and released', async () => {
        const { search } = await setup();
        const S3 = 'France is in Europe [1].';
        const gen = createScriptedGenerator(
          [
            { complete: { relevant: [true] } },
            { stream: tokens(`${S1} ${S2} ${S3}`), delayMs: 5 },
            { complete: { support: ['full'] } },
            { complete: { usefulness: 5 } },
            { complete: 'not json' },
            { complete: 'still not json' },
            { complete: { support: ['partial'] } },
          ],
          'scripted',
          { parallel: 2 },
        );
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect([result.answer, result.decision, result.abstainReason, result.complete]).toEqual([
          `${S1} ${S3}`,
          'revised',
          null,
          true,
        ]);
        expect(result.sentences.map((s) => [s.text, s.support, s.removed])).toEqual([
          [S1, 'full', false],
          ['', null, true],
          [S3, 'partial', false],
        ]);
        expect(result.notes).toContain(
          'The ISSUP grader returned invalid output twice after part of the answer was shown: 1 sentence withheld unchecked; the shown part stands.',
        );
        for (const event of ev.events) expect(JSON.stringify(event)).not.toContain('Seine flows');
        expect(gen.remaining()).toBe(0);
      });
    });
  });
}
