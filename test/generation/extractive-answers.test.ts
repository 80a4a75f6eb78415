import { describe, expect, it } from 'vitest';
import { answerConfidence, namedTerms } from '../../generation/extractive-confidence.ts';
import { answerCue, cueMatches, questionTerms } from '../../generation/extractive-cues.ts';
import { readableText, softenLineBreaks } from '../../generation/sentence-lines.ts';
import { splitSentences } from '../../generation/text.ts';
import { sqliteAnswerBackend } from './answer-backend.ts';
import { extractiveAnswersSuite } from './extractive-answers.case.ts';

extractiveAnswersSuite('sqlite', sqliteAnswerBackend);

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
    // "How long … take/last" asks for a time; "how long is" still asks for a number (a length).
    const long = ['How long does the climb take?', 'For how long did he reign?', 'How long is the river?', '火车要多久？'];
    expect(long.map(answerCue)).toEqual(['duration', 'duration', 'number', 'duration']);
    const times = [
      'It takes about three hours.',
      'The plague stayed until the 19th century.',
      'It opened in 1889.',
      '全程需要3小时。',
    ];
    expect(times.map((s) => cueMatches('duration', s, 'How long does it take?'))).toEqual([true, true, true, true]);
    expect(cueMatches('duration', 'The path climbs 420 metres.', 'How long does the climb take?')).toBe(false);
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
