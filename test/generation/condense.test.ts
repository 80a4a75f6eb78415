import { describe, expect, it } from 'vitest';
import { joinFollowUp, standsAlone } from '../../generation/condense.ts';

describe('follow-up questions without a generator', () => {
  it('keeps questions that name their own subject', () => {
    const alone = [
      'What is the price of bananas?',
      'Who is the buyer on the invoice?',
      'Who founded the company and when did it go public?',
      'What does HTTP stand for and who created it?',
      'Is there a refund policy?',
      'How many people are there in the team?',
      'What happened this year?',
      '甲方是哪家公司？',
    ];
    expect(alone.filter((q) => !standsAlone(q))).toEqual([]);
  });

  it('recognises pronouns and ellipses with nothing to refer to', () => {
    const dangling = [
      'How many people live there?',
      'What is its area?',
      'How much does it cost?',
      'Who wrote this?',
      'and its river?',
      'What about Germany?',
      'When did they sign?',
      '它的价格是多少？',
      '那乙方呢？',
    ];
    expect(dangling.filter((q) => standsAlone(q))).toEqual([]);
  });

  it('joins only with the last user turn, never further back', () => {
    const history = [
      { role: 'user' as const, content: 'What is the capital of France?' },
      { role: 'assistant' as const, content: 'Paris [1].' },
      { role: 'user' as const, content: 'How many people live there?' },
      { role: 'assistant' as const, content: 'About 2 million [1].' },
    ];
    expect(joinFollowUp(history, 'What is its area?')).toEqual({
      question: 'How many people live there? What is its area?',
      joined: true,
    });
    expect(joinFollowUp(history, 'Who is the buyer on the invoice?')).toEqual({
      question: 'Who is the buyer on the invoice?',
      joined: false,
    });
    expect(joinFollowUp([], 'What is its area?')).toEqual({ question: 'What is its area?', joined: false });
  });
});
