import { afterEach, describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import { answerConfidence, namedTerms } from '../../generation/extractive-confidence.ts';
import { answerCue, cueMatches, questionTerms } from '../../generation/extractive-cues.ts';
import { answer } from '../../generation/index.ts';
import { readableText, softenLineBreaks } from '../../generation/sentence-lines.ts';
import { splitSentences } from '../../generation/text.ts';
import { createFakeSearch, makeDeps, type Seeded, seedStore } from './helpers.ts';

let seeded: Seeded;
afterEach(() => seeded?.store.close());

const ZEPHYR = [
  'The Zephyr project was founded in 2019 by three engineers at a small Oslo company. ' +
    'Zephyr builds a lightweight scheduler for embedded devices. ' +
    'Its mascot is a red fox named Pip. ' +
    'The Zephyr project is licensed under Apache-2.0, so companies can ship it in closed products.',
];

async function ask(question: string, passages: Passage[]) {
  const { search } = createFakeSearch({}, passages);
  return answer(makeDeps(seeded.store, null, search), { collection: 'c', question, persist: false });
}

describe('extractive answers pick the sentence that answers', () => {
  it('answers the mascot and the licence questions from the Zephyr text', async () => {
    seeded = seedStore('c', [{ source: 'zephyr.md', paragraphs: ZEPHYR }]);
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
    seeded = seedStore('c', [{ source: 'contract.pdf', paragraphs: ['甲方：中国饮料有限公司（盖章）'] }]);
    const result = await ask('甲方是哪家公司？', [seeded.passage('contract.pdf', 0)]);
    expect([result.decision, result.answer]).toEqual(['answered', '甲方：中国饮料有限公司（盖章） [1]']);
  });

  it('quotes whole sentences across PDF line breaks, hyphenated words joined, offsets exact', async () => {
    const pdf =
      'Abstract\nOpen-domain question answering relies on ef-\nficient passage retrieval to select candidate\n' +
      'contexts, where traditional sparse vector space\nmodels, such as TF-IDF or BM25, are the de\nfacto method. ' +
      'In this work, we show that\nretrieval can be practically implemented us-\ning dense representations alone.';
    seeded = seedStore('c', [{ source: 'dpr.pdf', paragraphs: [pdf] }]);
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

  it('gives two quotes from one passage their own labels, and the text matches the list', async () => {
    seeded = seedStore('c', [
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

describe('sentences across line breaks', () => {
  it('ends a sentence at a paragraph, heading or list line, not at a wrapped line', () => {
    const text =
      'QA benchmarks.1\n1 Introduction\nOpen-domain QA is a task that answers factoid questions us-\ning a large collection of\ndocuments. It is old.\n- first item\n- second item';
    expect(softenLineBreaks(text).length).toBe(text.length);
    expect(splitSentences(text).map((s) => readableText(s.text))).toEqual([
      'QA benchmarks.1',
      '1 Introduction',
      'Open-domain QA is a task that answers factoid questions using a large collection of documents.',
      'It is old.',
      '- first item',
      '- second item',
    ]);
    for (const s of splitSentences(text)) expect(text.slice(s.start, s.end)).toBe(s.text);
  });

  it('keeps each table row apart', () => {
    const table = 'Item | Price | # In stock\n---|---|---\nJuicy Apples | 1.99 | 739\nBananas | 1.89 | 6';
    expect(splitSentences(table).map((s) => s.text)).toEqual([
      'Item | Price | # In stock',
      '---|---|---',
      'Juicy Apples | 1.99 | 739',
      'Bananas | 1.89 | 6',
    ]);
    expect(splitSentences('name\tprice\nbananas\t1.89').map((s) => s.text)).toEqual(['name\tprice', 'bananas\t1.89']);
  });

  it('keeps initials and abbreviations inside their sentence', () => {
    const text = 'A committee was headed by Nicholas E. Golovin. See Samuel K. Cohn, Jr. (2002). The U.S. Army agreed.';
    expect(splitSentences(text).map((s) => s.text)).toEqual([
      'A committee was headed by Nicholas E. Golovin.',
      'See Samuel K. Cohn, Jr. (2002).',
      'The U.S. Army agreed.',
    ]);
  });

  it('joins wrapped CJK lines without a space and keeps hyphens that are not line-end hyphenation', () => {
    expect(readableText('甲方：中国饮料\n有限公司')).toBe('甲方：中国饮料有限公司');
    expect(readableText('a strong Lucene-\nBM25 system, a d-\ndimensional space')).toBe(
      'a strong Lucene-BM25 system, a d-dimensional space',
    );
  });
});

describe('question cues and confidence', () => {
  it('reads what kind of answer a question asks for and whether a sentence has one', () => {
    expect(['When was it built?', 'How many moons?', 'Who designed it?', 'Where is it?', 'What is it?'].map(answerCue)).toEqual([
      'date',
      'number',
      'name',
      'place',
      null,
    ]);
    expect(cueMatches('date', 'It was built in 1889.', 'When was it built?')).toBe(true);
    expect(cueMatches('name', 'Gustave Eiffel designed the tower.', 'Who designed the tower?')).toBe(true);
    expect(cueMatches('name', 'The tower was designed in Paris.', 'Who designed the tower in Paris?')).toBe(false);
    expect(questionTerms('What is the mascot of the Zephyr project?')).toEqual(['mascot', 'zephyr', 'project', 'proje~']);
  });

  it('lowers confidence for unknown names, negated questions and a missing date, number or name', () => {
    const base = { query: ['tower', 'tall'], answer: new Set(['tower', 'tall']), passage: new Set(['tower', 'tall', 'eiffel']) };
    const say = (question: string, answerText = 'The tower is 330 metres tall.', cueMet: boolean | null = null) =>
      answerConfidence({ ...base, question, answerText, cueMet });
    expect(namedTerms('How tall is the Eiffel Tower in 2020?')).toEqual(['eiffel', 'tower', '2020']);
    expect(say('How tall is the tower?')).toBe(1);
    // The passage names Eiffel, the answer's sentence does not.
    expect(say('How tall is the Eiffel tower?')).toBe(0.9);
    expect(say('How tall is the Blackpool tower?')).toBeCloseTo(0.2, 10);
    expect(say('What tower is not tall?')).toBeCloseTo(0.1, 10);
    expect(say('What tower is not tall?', 'The tower is not tall.')).toBe(1);
    expect(say('How tall is the tower?', 'The tower is tall.', false)).toBeCloseTo(0.7, 10);
    expect(
      answerConfidence({
        ...base,
        query: ['tower', 'tall', 'iron'],
        question: 'How tall is the tower?',
        answerText: '',
        cueMet: true,
      }),
    ).toBeCloseTo(2 / 3, 10);
  });

  it('takes a possessive as the name it marks, and a figure whole as the index does', () => {
    expect(namedTerms("What slogan accompanied ABC's 40th anniversary logo?")).toEqual(['abc', '40th']);
    expect(namedTerms('Who designed the ABC’s typeface in the 1920s?')).toEqual(['abc', '1920s']);
  });
});

describe('extractive answers read on their own', () => {
  const TESLA = [
    'Nikola Tesla grew up in the village of Smiljan. ' +
      'He enrolled at the Polytechnic in Graz in 1875 to study engineering. ' +
      'Tesla later worked for the Continental Edison Company in Paris.',
  ];

  it('quotes the sentence before one that opens with "He", so the answer says who', async () => {
    seeded = seedStore('c', [{ source: 'tesla.md', paragraphs: TESLA }]);
    const result = await ask('Where did he enroll in 1875 to study engineering?', [seeded.passage('tesla.md', 0)]);
    expect(result.answer).toBe(
      'Nikola Tesla grew up in the village of Smiljan. [1] He enrolled at the Polytechnic in Graz in 1875 to study engineering. [2]',
    );
  });

  it('counts a name in the document title as mentioned: a passage about Tesla that says "He" answers', async () => {
    const paragraph = 'He was born in 1856 in the village of Smiljan. His father was a priest.';
    seeded = seedStore('c', [
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
