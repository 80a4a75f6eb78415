import { describe, expect, it } from 'vitest';
import type { Passage } from '../../core/index.ts';
import {
  extractAnswer,
  extractMarkers,
  gradeJson,
  isuseScore,
  planRevision,
  removeUnsupported,
  type SentenceVerdict,
  scoreAnswer,
  splitSentences,
  stripMarkers,
  supportingSpan,
} from '../../generation/index.ts';
import { createScriptedGenerator } from './helpers.ts';

const DOC = 'Intro line. The Eiffel Tower is 330 metres tall. It was built in 1889. Gustave Eiffel designed it.';

function passage(start: number, end: number, contextStart = start, contextEnd = end): Passage {
  return {
    chunkId: 'c1',
    rowid: 1,
    documentId: 'd1',
    source: 'tower.md',
    title: 'Tower',
    page: 2,
    headings: [],
    start,
    end,
    text: DOC.slice(contextStart, contextEnd),
    contextStart,
    contextEnd,
    scores: {},
    metadata: {},
  };
}

const sentence = (text: string, start: number, support: SentenceVerdict['support']): SentenceVerdict => ({
  text,
  start,
  end: start + text.length,
  markers: [1],
  support,
  removed: false,
});

describe('text', () => {
  it('splits sentences with offsets and keeps trailing markers with their sentence', () => {
    const text = 'Paris is big. [1] It is old [2]. 東京は大きい。次の文。';
    expect(splitSentences(text).map((s) => [s.text, s.start, s.end])).toEqual([
      ['Paris is big. [1]', 0, 17],
      ['It is old [2].', 18, 32],
      ['東京は大きい。', 33, 40],
      ['次の文。', 40, 44],
    ]);
    expect(extractMarkers('a [2] b [1][2] [10]')).toEqual([2, 1, 10]);
    expect(stripMarkers('It is old [2]. Yes [1][3] .')).toBe('It is old. Yes.');
  });
});

describe('gate', () => {
  it('scores with the Self-RAG formula and configured weights', () => {
    const weights = { isrel: 1, issup: 1, isuse: 0.5, likelihood: 1 };
    expect(isuseScore(1)).toBe(-1);
    expect(isuseScore(4)).toBe(0.5);
    expect(scoreAnswer({ isrel: 0.8, issup: 0.75, usefulness: 4, meanLogprob: null }, { threshold: 1.2, weights }).total).toBe(
      1.8,
    );
    const heavy = { ...weights, isrel: 2, isuse: 0 };
    expect(
      scoreAnswer({ isrel: 0.5, issup: 0, usefulness: 5, meanLogprob: Math.log(0.25) }, { threshold: 0, weights: heavy }).total,
    ).toBe(1.25);
  });

  it('plans keep, remove, regenerate (once) and abstain', () => {
    const full = sentence('A.', 0, 'full');
    const none = sentence('B.', 3, 'none');
    expect(planRevision([full], 'remove', false)).toBe('keep');
    expect(planRevision([full, none], 'remove', false)).toBe('remove');
    expect(planRevision([full, none], 'regenerate', false)).toBe('regenerate');
    expect(planRevision([full, none], 'regenerate', true)).toBe('remove');
    expect(planRevision([none], 'remove', false)).toBe('abstain');
  });

  it('removes unsupported sentences and rebases the offsets of the rest', () => {
    const answer = 'Alpha one [1]. Beta two [1]. Gamma [1].';
    const out = removeUnsupported(answer, [
      sentence('Alpha one [1].', 0, 'full'),
      sentence('Beta two [1].', 15, 'none'),
      sentence('Gamma [1].', 29, 'partial'),
    ]);
    expect(out.answer).toBe('Alpha one [1]. Gamma [1].');
    expect(out.sentences.map((s) => [s.removed, s.start, s.end])).toEqual([
      [false, 0, 14],
      [true, 15, 28],
      [false, 15, 25],
    ]);
  });
});

describe('citations', () => {
  it('maps a claim to the smallest run of sentences that supports it, as document offsets', () => {
    const chunkStart = DOC.indexOf('The Eiffel');
    const built = supportingSpan('It was built in 1889 [1].', passage(chunkStart, DOC.length), () => DOC);
    expect(built).toEqual({ text: 'It was built in 1889.', start: 49, end: 70, basis: 'overlap' });
    // "It was built in 1889." alone does not say what was built: the sentence naming the tower joins it.
    const tower = supportingSpan('The tower was built in 1889 [1].', passage(chunkStart, DOC.length), () => DOC);
    expect(tower).toEqual({
      text: 'The Eiffel Tower is 330 metres tall. It was built in 1889.',
      start: 12,
      end: 70,
      basis: 'overlap',
    });
    expect(DOC.slice(tower.start, tower.end)).toBe(tower.text);
  });

  it('falls back to the passage text (context window) when the document is gone', () => {
    const chunkStart = DOC.indexOf('It was');
    const p = passage(chunkStart, chunkStart + 21, 0, DOC.length);
    const span = supportingSpan('built in 1889', p, () => null);
    expect(DOC.slice(span.start, span.end)).toBe('It was built in 1889.');
  });
});

describe('extractive answerer', () => {
  it('quotes the best-matching sentences, cited with exact spans', () => {
    const p = { marker: 1, passage: passage(0, DOC.length), relevant: null, rerank: null, score: 1, kept: true };
    const out = extractAnswer('How tall is the Eiffel Tower?', [p], () => DOC, { minOverlap: 0.25, sentences: 2 });
    expect(out?.answer).toBe('The Eiffel Tower is 330 metres tall. [1]');
    expect(out?.citations[0]).toMatchObject({
      marker: 1,
      page: 2,
      start: 12,
      end: 48,
      quote: 'The Eiffel Tower is 330 metres tall.',
    });
    expect(extractAnswer('Who won the football match?', [p], () => DOC, { minOverlap: 0.25, sentences: 2 })).toBeNull();
  });
});

describe('grader', () => {
  it('accepts parsed JSON, retries once, then throws GRADER_OUTPUT_INVALID', async () => {
    const validate = (v: unknown) => ((v as { ok?: unknown })?.ok === true ? true : null);
    const call = { stage: 'test', messages: [], schema: {}, validate, maxTokens: 8 };
    const good = createScriptedGenerator([{ complete: 'nope' }, { complete: { ok: true } }]);
    expect(await gradeJson(good.generator, call)).toBe(true);
    expect(good.calls.map((c) => c.request.temperature)).toEqual([0, 0]);
    const bad = createScriptedGenerator([{ complete: '{"ok": 1}' }, { complete: '{"ok": false}' }]);
    await expect(gradeJson(bad.generator, call)).rejects.toMatchObject({
      code: 'GRADER_OUTPUT_INVALID',
      details: { stage: 'test', output: '{"ok": false}' },
    });
  });
});
