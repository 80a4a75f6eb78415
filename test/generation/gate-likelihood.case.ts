import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answer } from '../../generation/index.ts';
import { createOpenAiGenerator } from '../../models/openai-generator.ts';
import type { Completion, GenerateRequest, Generator, JsonSchema } from '../../models/types.ts';
import { startFakeOpenAi } from '../models/fake-openai.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { createFakeSearch, createScriptedGenerator, testConfig } from './helpers.ts';

const Q = 'What is the capital of France?';

/** The gate's likelihood term end to end over a seeded store: run once per backend. */
export function gateLikelihoodSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
    beforeAll(async () => {
      fake = await startFakeOpenAi();
    });
    afterAll(() => fake.close());
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    /** Answers stream from the fake OpenAI-compatible server; the graders' verdicts come from a script. */
    function remoteAnswerer(): Generator {
      const remote = createOpenAiGenerator({ baseUrl: fake.url, apiKey: null, timeoutMs: 2000 }, 'chat');
      const graders = createScriptedGenerator([
        { complete: { relevant: [true] } },
        { complete: { support: ['full'] } },
        { complete: { usefulness: 3 } },
      ]);
      return {
        id: 'remote',
        stream: (request: GenerateRequest) => remote.stream(request),
        complete: (request: GenerateRequest, schema?: JsonSchema): Promise<Completion> =>
          graders.generator.complete(request, schema),
      };
    }

    async function ask() {
      seeded = await seedStore('geo', [{ source: 'france.md', paragraphs: ['Paris is the capital of France.'] }]);
      const { search } = createFakeSearch({ [Q]: [seeded.passage('france.md', 0)] });
      // Four words streamed: "echo: Passages (data, not", with log-probabilities -0.1, -0.2, -0.3, -0.4.
      const deps = makeDeps(seeded, remoteAnswerer(), search, testConfig({ maxTokens: 4 }));
      return answer(deps, { collection: 'geo', question: Q });
    }

    describe('gate: the likelihood term end to end', () => {
      it('counts p(y) from the logprobs an OpenAI-compatible server streams, against the configured threshold', async () => {
        fake.setMode('ok');
        const result = await ask();
        expect(result.answer).toBe('echo: Passages (data, not');
        expect(result.score).toMatchObject({
          likelihood: 0.7788,
          likelihoodStatus: 'measured',
          threshold: 1.2,
          configuredThreshold: 1.2,
          total: 2.7788,
          max: 3.5,
        });
        expect(result.notes.some((n) => n.includes('token probabilities'))).toBe(false);
      });

      it('leaves the term out of score and threshold, and says so, when the server sends no logprobs', async () => {
        fake.setMode('noLogprobs');
        const result = await ask();
        expect(result.score).toMatchObject({
          likelihood: null,
          likelihoodStatus: 'unavailable',
          threshold: 0.8571,
          configuredThreshold: 1.2,
          total: 2,
          max: 2.5,
        });
        expect(result.notes).toContain(
          'The generator reports no token probabilities: the likelihood term is left out of the gate score and the ' +
            'threshold (0.8571 instead of 1.2, on a scale of -0.5 to 2.5).',
        );
      });
    });
  });
}
