import { afterEach, describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { answer } from '../../generation/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { createFakeSearch } from './helpers.ts';

/** Extractive answers over a seeded store: run once per backend. */
export function extractiveAnswersSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    const ZEPHYR = [
      'The Zephyr project was founded in 2019 by three engineers at a small Oslo company. ' +
        'Zephyr builds a lightweight scheduler for embedded devices. ' +
        'Its mascot is a red fox named Pip. ' +
        'The Zephyr project is licensed under Apache-2.0, so companies can ship it in closed products.',
    ];

    async function ask(question: string, passages: Passage[]) {
      const { search } = createFakeSearch({}, passages);
      return answer(makeDeps(seeded, null, search), { collection: 'c', question, persist: false });
    }

    describe('extractive answers pick the sentence that answers', () => {
      it('answers the mascot and the licence questions from the Zephyr text', async () => {
        seeded = await seedStore('c', [{ source: 'zephyr.md', paragraphs: ZEPHYR }]);
        const p = [seeded.passage('zephyr.md', 0)];
        const mascot = await ask('What is the mascot of the Zephyr project?', p);
        // The mascot sentence leads; the licence sentence, saying "Zephyr project" next to the mascot's sentence, follows as [2].
        expect([mascot.decision, mascot.mode, mascot.answer]).toEqual([
          'answered',
          'extractive',
          'Its mascot is a red fox named Pip. [1] The Zephyr project is licensed under Apache-2.0, so companies can ship it in closed products. [2]',
        ]);
        const licence = await ask('Which license does Zephyr use?', p);
        expect(licence.answer).toBe(
          'The Zephyr project is licensed under Apache-2.0, so companies can ship it in closed products. [1]',
        );
        expect(licence.citations.map((c) => [c.marker, ZEPHYR[0]?.slice(c.start, c.end) === c.quote])).toEqual([[1, true]]);
      });

      it('answers a Chinese question with the index segmentation', async () => {
        seeded = await seedStore('c', [{ source: 'contract.pdf', paragraphs: ['甲方：中国饮料有限公司（盖章）'] }]);
        const result = await ask('甲方是哪家公司？', [seeded.passage('contract.pdf', 0)]);
        expect([result.decision, result.answer]).toEqual(['answered', '甲方：中国饮料有限公司（盖章） [1]']);
      });

      it('quotes whole sentences across PDF line breaks, hyphenated words joined, offsets exact', async () => {
        const pdf =
          'Abstract\nOpen-domain question answering relies on ef-\nficient passage retrieval to select candidate\n' +
          'contexts, where traditional sparse vector space\nmodels, such as TF-IDF or BM25, are the de\nfacto method. ' +
          'In this work, we show that\nretrieval can be practically implemented us-\ning dense representations alone.';
        seeded = await seedStore('c', [{ source: 'dpr.pdf', paragraphs: [pdf] }]);
        const result = await ask('What does open-domain question answering rely on?', [seeded.passage('dpr.pdf', 0)]);
        const sentence =
          'Open-domain question answering relies on efficient passage retrieval to select candidate contexts, ' +
          'where traditional sparse vector space models, such as TF-IDF or BM25, are the de facto method.';
        expect(result.answer).toBe(`${sentence} [1]`);
        const cite = result.citations[0];
        expect([cite?.quote, cite?.start, cite?.end]).toEqual([sentence, 9, 204]);
        expect(pdf.slice(9, 204)).toBe(
          'Open-domain question answering relies on ef-\nficient passage retrieval to select candidate\n' +
            'contexts, where traditional sparse vector space\nmodels, such as TF-IDF or BM25, are the de\nfacto method.',
        );
      });

      it('answers "how long does it take" with the sentence that gives a time, not the one giving a length', async () => {
        const walk =
          'The trail to Cairn Peak climbs 420 metres from the car park. Walkers reach the top of Cairn Peak in about three hours.';
        seeded = await seedStore('c', [{ source: 'peak.md', paragraphs: [walk] }]);
        const result = await ask('How long does the climb to Cairn Peak take?', [seeded.passage('peak.md', 0)]);
        expect([result.decision, result.answer]).toEqual([
          'answered',
          // The time leads; the length, sharing "climb" and "Cairn Peak", follows as [2].
          'Walkers reach the top of Cairn Peak in about three hours. [1] The trail to Cairn Peak climbs 420 metres from the car park. [2]',
        ]);
      });

      it('gives two quotes from one passage their own labels, and the text matches the list', async () => {
        seeded = await seedStore('c', [
          {
            source: 'fox.md',
            paragraphs: ['Pip the fox lives in Oslo. Pip the fox eats berries in summer. Pip the fox sleeps in winter.'],
          },
        ]);
        const result = await ask('Where does Pip the fox live and what does Pip the fox eat?', [seeded.passage('fox.md', 0)]);
        expect(result.answer).toBe('Pip the fox lives in Oslo. [1] Pip the fox eats berries in summer. [2]');
        expect(result.citations.map((c) => [c.marker, c.quote])).toEqual([
          [1, 'Pip the fox lives in Oslo.'],
          [2, 'Pip the fox eats berries in summer.'],
        ]);
        expect(result.sentences.map((s) => s.markers)).toEqual([[1], [2]]);
      });
    });

    describe('extractive answers read on their own', () => {
      const TESLA = [
        'Nikola Tesla grew up in the village of Smiljan. ' +
          'He enrolled at the Polytechnic in Graz in 1875 to study engineering. ' +
          'Tesla later worked for the Continental Edison Company in Paris.',
      ];

      it('quotes the sentence before one that opens with "He", so the answer says who', async () => {
        seeded = await seedStore('c', [{ source: 'tesla.md', paragraphs: TESLA }]);
        const result = await ask('Where did he enroll in 1875 to study engineering?', [seeded.passage('tesla.md', 0)]);
        expect(result.answer).toBe(
          'Nikola Tesla grew up in the village of Smiljan. [1] He enrolled at the Polytechnic in Graz in 1875 to study engineering. [2]',
        );
      });

      it('counts a name in the document title as mentioned: a passage about Tesla that says "He" answers', async () => {
        const paragraph = 'He was born in 1856 in the village of Smiljan. His father was a priest.';
        seeded = await seedStore('c', [
          { source: 'tesla.md', title: 'Nikola Tesla', paragraphs: [paragraph] },
          { source: 'untitled.md', title: 'notes', paragraphs: [paragraph] },
        ]);
        const titled = await ask('When was Tesla born?', [seeded.passage('tesla.md', 0)]);
        expect([titled.decision, titled.answer]).toEqual(['answered', 'He was born in 1856 in the village of Smiljan. [1]']);
        // The same text under a title that does not name Tesla is about someone else, as far as Cairn can tell.
        const untitled = await ask('When was Tesla born?', [seeded.passage('untitled.md', 0)]);
        expect([untitled.decision, untitled.abstainReason]).toEqual(['abstained', 'no_match']);
      });
    });
  });
}
