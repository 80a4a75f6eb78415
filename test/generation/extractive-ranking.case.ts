import { afterEach, describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { phraseMatch, questionBigrams } from '../../generation/extractive-score.ts';
import { answer } from '../../generation/index.ts';
import { analyze } from '../../retrieval/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { createFakeSearch } from './helpers.ts';

/** Extractive answers ranked across passages over a seeded store: run once per backend. */
export function extractiveRankingSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    async function ask(question: string, passages: Passage[]) {
      const { search } = createFakeSearch({}, passages);
      return answer(makeDeps(seeded, null, search), { collection: 'c', question, persist: false });
    }

    describe('extractive answers rank sentences across every kept passage', () => {
      it('answers from the fifth passage when its sentence says what the question asks', async () => {
        const filler = (topic: string) =>
          `The harbour of ${topic} is busy in summer. Ferries leave the harbour of ${topic} every hour.`;
        seeded = await seedStore('c', [
          ...['Bergen', 'Tromso', 'Narvik', 'Bodo'].map((town) => ({ source: `${town}.md`, paragraphs: [filler(town)] })),
          {
            source: 'lighthouse.md',
            paragraphs: ['The old lighthouse keeper of the harbour was Ole Hansen, who kept the light from 1901.'],
          },
        ]);
        const passages = ['Bergen', 'Tromso', 'Narvik', 'Bodo'].map((town, i) =>
          seeded.passage(`${town}.md`, 0, { bm25: 10 - i }),
        );
        passages.push(seeded.passage('lighthouse.md', 0, { bm25: 5 }));
        const result = await ask('Who was the lighthouse keeper of the harbour?', passages);
        expect([result.decision, result.answer]).toEqual([
          'answered',
          'The old lighthouse keeper of the harbour was Ole Hansen, who kept the light from 1901. [1]',
        ]);
      });

      it('prefers the sentence that repeats the question phrasing to one with the same words apart', async () => {
        seeded = await seedStore('c', [
          {
            source: 'society.md',
            paragraphs: [
              'The chemistry society formed a royal club in 1841. ' +
                'The Royal Society of Chemistry was formed in 1980 after a merger of four older bodies.',
            ],
          },
        ]);
        const result = await ask('When was the Royal Society of Chemistry formed?', [seeded.passage('society.md', 0)]);
        // The shorter first sentence has every word too, and a date: only the phrasing puts the other first.
        expect(result.answer).toBe(
          'The Royal Society of Chemistry was formed in 1980 after a merger of four older bodies. [1] ' +
            'The chemistry society formed a royal club in 1841. [2]',
        );
      });

      it('counts the question phrases a sentence repeats, up to three', () => {
        const pairs = questionBigrams(analyze('When did the Super Bowl 50 halftime show start?'));
        expect([...pairs]).toEqual([
          'when did',
          'did super',
          'super bowl',
          'bowl 50',
          '50 halftim',
          'halftim show',
          'show start',
        ]);
        expect(phraseMatch(pairs, analyze('Super Bowl 50 was played in February.'))).toBeCloseTo(2 / 3, 10);
        expect(phraseMatch(pairs, analyze('The Super Bowl 50 halftime show started at 8 pm.'))).toBe(1);
        expect(phraseMatch(pairs, analyze('The show was a halftime highlight of the bowl.'))).toBe(0);
      });
    });
  });
}
