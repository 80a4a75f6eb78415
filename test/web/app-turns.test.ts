import { describe, expect, it } from 'vitest';
import type { AnswerResult, AskEvent, ChatWithMessages, Citation } from '../../sdk/index.ts';
import { applyEvent, newTurn, turnsOf } from '../../web/src/turns.ts';

const citation: Citation = {
  marker: 1,
  chunkId: 'd:0',
  documentId: 'd',
  source: 'a.txt',
  title: 'a.txt',
  page: null,
  start: 0,
  end: 12,
  quote: 'Cairns mark.',
};

const replay = (events: AskEvent[]) => events.reduce(applyEvent, newTurn('Why?'));

describe('an answer turn built from stream events', () => {
  it('keeps draft tokens apart from released text, and lets final replace them', () => {
    const streaming = replay([
      { type: 'token', text: 'Cairns ', draft: true },
      { type: 'token', text: 'mark.', draft: true },
    ]);
    expect([streaming.answer, streaming.draft]).toEqual(['', 'Cairns mark.']);
    const final = applyEvent(streaming, { type: 'final', answer: 'Cairns mark trails. [1]', citations: [citation] });
    expect([final.answer, final.draft, final.citations]).toEqual(['Cairns mark trails. [1]', '', [citation]]);
  });

  it('appends released tokens and takes citations as they come, once per marker', () => {
    const turn = replay([
      { type: 'token', text: 'Cairns mark. ' },
      { type: 'citation', citation },
      { type: 'citation', citation: { ...citation, quote: 'Cairns mark trails.' } },
      { type: 'token', text: '[1]' },
    ]);
    expect([turn.answer, turn.citations.map((c) => c.quote), turn.state]).toEqual([
      'Cairns mark. [1]',
      ['Cairns mark trails.'],
      'streaming',
    ]);
  });

  it('ends in error with the code and message of an error event', () => {
    const turn = applyEvent(newTurn('Why?'), {
      type: 'error',
      error: { code: 'GENERATION_TIMEOUT', message: 'too slow' },
      result: null as unknown as AnswerResult,
    });
    expect([turn.state, turn.error, turn.result]).toEqual(['error', 'GENERATION_TIMEOUT: too slow', null]);
  });
});

describe('a stored chat as turns', () => {
  it('pairs questions with answers and addresses feedback by the assistant message index', () => {
    const result = { answer: 'Cairns mark. [1]', citations: [citation] } as unknown as AnswerResult;
    const message = { chatId: 'c', createdAt: '', feedback: null };
    const chat = {
      id: 'c',
      collectionId: 'docs',
      title: 'Why?',
      createdAt: '',
      updatedAt: '',
      messages: [
        { ...message, id: 'm1', role: 'user', content: 'Why?', result: null },
        {
          ...message,
          id: 'm2',
          role: 'assistant',
          content: 'Cairns mark. [1]',
          result,
          feedback: { rating: 'down', comment: 'vague', at: '' },
        },
        { ...message, id: 'm3', role: 'user', content: 'And?', result: null },
        { ...message, id: 'm4', role: 'assistant', content: 'Trails.', result: null },
      ],
    } as unknown as ChatWithMessages;
    const turns = turnsOf(chat);
    expect(turns.map((t) => [t.question, t.answer, t.messageIndex, t.feedback, t.citations.length, t.state])).toEqual([
      ['Why?', 'Cairns mark. [1]', 1, { rating: 'down', comment: 'vague' }, 1, 'done'],
      ['And?', 'Trails.', 3, null, 0, 'done'],
    ]);
  });
});
