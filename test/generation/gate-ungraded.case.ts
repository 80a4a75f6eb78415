import { afterEach, describe, expect, it } from 'vitest';
import { answer } from '../../generation/index.ts';
import { createOpenAiGenerator } from '../../models/openai-generator.ts';
import type { Completion, GenerateRequest, Generator, JsonSchema } from '../../models/types.ts';
import { startFakeOpenAi } from '../models/fake-openai.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { collectEvents, createFakeSearch, createScriptedGenerator, tokens } from './helpers.ts';

const FRANCE = ['Paris is the capital of France. It sits on the Seine river.'];
const Q = 'What is the capital of France?';
const DRAFT = 'Paris is the capital of France [1].';

/** Ungraded grader output through the answer pipeline over a seeded store: run once per backend. */
export function gateUngradedSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    async function setup() {
      seeded = await seedStore('geo', [{ source: 'france.md', title: 'France', paragraphs: FRANCE }]);
      return createFakeSearch({ [Q]: [seeded.passage('france.md', 0)] });
    }

    const WITHHELD_NOTE = (stage: string) =>
      `The ${stage} grader returned invalid output twice, so the answer could not be checked against its sources and is withheld.`;

    describe('gate: grader output that is not valid JSON', () => {
      it('retries prose once like a schema miss and goes on when the retry is valid', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(DRAFT) },
          { complete: 'Sure! Sentence 1 is fully supported.' },
          { complete: { support: ['full'] } },
          { complete: { usefulness: 5 } },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result.decision).toBe('answered');
        expect(result.answer).toBe(DRAFT);
        expect(gen.remaining()).toBe(0);
      });

      it('withholds the answer as ungraded when ISSUP is not JSON twice: never kept as if supported', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(DRAFT) },
          { complete: 'Sure! Sentence 1 is fully supported.' },
          { complete: '{"support": ["full"' },
        ]);
        const ev = collectEvents();
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q }, ev.onEvent);
        expect(result).toMatchObject({
          decision: 'abstained',
          abstainReason: 'ungraded',
          answer: 'The documents do not answer this.',
          complete: true,
          error: null,
          citations: [],
          score: null,
        });
        expect(result.notes).toContain(WITHHELD_NOTE('ISSUP'));
        expect(ev.events.some((e) => e.type === 'citation')).toBe(false);
        expect(ev.events.at(-1)?.type).toBe('done');
        expect(gen.remaining()).toBe(0);
      });

      it('withholds the answer when ISUSE is invalid twice, after ISSUP kept every sentence', async () => {
        const { search } = await setup();
        const gen = createScriptedGenerator([
          { complete: { relevant: [true] } },
          { stream: tokens(DRAFT) },
          { complete: { support: ['full'] } },
          { complete: 'five' },
          { complete: { usefulness: 9 } },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), { collection: 'geo', question: Q });
        expect(result).toMatchObject({ decision: 'abstained', abstainReason: 'ungraded', score: null, citations: [] });
        expect(result.notes).toContain(WITHHELD_NOTE('ISUSE'));
      });

      it('over the wire: an OpenAI-compatible server answering a grader with prose twice leaves the answer ungraded', async () => {
        const fake = await startFakeOpenAi();
        try {
          const { search } = await setup();
          const remote = createOpenAiGenerator({ baseUrl: fake.url, apiKey: null, timeoutMs: 2000 }, 'chat');
          // The ISREL verdict comes from the script; the grader calls after it go to the fake server in prose.
          const scripted = createScriptedGenerator([{ complete: { relevant: [true] } }, { stream: tokens(DRAFT) }]);
          let calls = 0;
          const generator: Generator = {
            id: 'mixed',
            stream: (request: GenerateRequest) => scripted.generator.stream(request),
            complete: (request: GenerateRequest, schema?: JsonSchema): Promise<Completion> =>
              calls++ === 0 ? scripted.generator.complete(request, schema) : remote.complete(request, schema),
          };
          fake.setMode('notJson');
          const result = await answer(makeDeps(seeded, generator, search), { collection: 'geo', question: Q });
          expect(result).toMatchObject({ decision: 'abstained', abstainReason: 'ungraded', complete: true, error: null });
          expect(calls).toBe(3);
        } finally {
          await fake.close();
        }
      });
    });
  });
}
