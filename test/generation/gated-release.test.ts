import { describe, expect, it } from 'vitest';
import type { AnswerEvent } from '../../generation/index.ts';
import { createReleaser, createSentenceAssembler, releaseAnswer } from '../../generation/release.ts';

describe('sentence assembler', () => {
  it('completes a sentence only once the next begins with a word: a trailing marker stays with it', () => {
    const a = createSentenceAssembler();
    expect(a.push('Paris is the capital. ')).toEqual([]);
    expect(a.push('[')).toEqual([]);
    expect(a.push('1] ')).toEqual([]);
    expect(a.push('It sits')).toEqual([{ text: 'Paris is the capital. [1]', start: 0, end: 25, separator: '' }]);
    expect(a.push(' on the Seine.\n\nBridges')).toEqual([{ text: 'It sits on the Seine.', start: 26, end: 47, separator: ' ' }]);
    expect(a.end()).toEqual([{ text: 'Bridges', start: 49, end: 56, separator: '\n\n' }]);
    expect(a.end()).toEqual([]);
  });
});

describe('releaseAnswer', () => {
  it('cuts a finished answer at its kept sentences so the pieces concatenate to it, each with its citations', () => {
    const events: AnswerEvent[] = [];
    const releaser = createReleaser((e) => events.push(e));
    const answer = 'Paris is the capital. [1] It sits on the Seine. [2]';
    const cite = (marker: number) => ({
      marker,
      chunkId: `c${marker}`,
      documentId: 'd',
      source: 's',
      title: 't',
      page: null,
      start: 0,
      end: 1,
      quote: 'q',
    });
    const sentences = [
      { text: 'Paris is the capital.', start: 0, end: 21, markers: [1], support: null, removed: false },
      { text: 'It sits on the Seine.', start: 26, end: 47, markers: [2], support: null, removed: false },
    ];
    releaseAnswer(releaser, answer, sentences, [cite(1), cite(2)]);
    expect(events.map((e) => (e.type === 'token' ? e.text : e.type === 'citation' ? e.citation.marker : e.type))).toEqual([
      'Paris is the capital. [1]',
      1,
      ' It sits on the Seine. [2]',
      2,
    ]);
    expect(releaser.text).toBe(answer);
    releaseAnswer(releaser, answer, sentences, [cite(1), cite(2)]);
    expect(events).toHaveLength(4);
  });
});
