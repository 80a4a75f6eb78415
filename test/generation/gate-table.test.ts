import { describe, expect, it } from 'vitest';
import {
  gateThreshold,
  issupScore,
  likelihoodNote,
  passesGate,
  removeUnsupported,
  type SentenceVerdict,
  scoreAnswer,
  scoreRange,
} from '../../generation/index.ts';

/** The worked examples of the README's gate table, with the default settings (core/config.ts). */
const DEFAULTS = { threshold: 1.2, weights: { isrel: 1, issup: 1, isuse: 0.5, likelihood: 1 } };

interface Row {
  name: string;
  isrel: number;
  issup: number;
  likelihood: number | null;
  /** Totals for usefulness 1..5. */
  totals: [number, number, number, number, number];
  passes: [boolean, boolean, boolean, boolean, boolean];
}

const ALL = [true, true, true, true, true] as Row['passes'];
const ROWS: Row[] = [
  { name: 'all supported', isrel: 1, issup: 1, likelihood: null, totals: [1.5, 1.75, 2, 2.25, 2.5], passes: ALL },
  { name: 'half full, half partial', isrel: 1, issup: 0.75, likelihood: null, totals: [1.25, 1.5, 1.75, 2, 2.25], passes: ALL },
  { name: 'all partial', isrel: 1, issup: 0.5, likelihood: null, totals: [1, 1.25, 1.5, 1.75, 2], passes: ALL },
  { name: 'weak passages, all supported', isrel: 0.5, issup: 1, likelihood: null, totals: [1, 1.25, 1.5, 1.75, 2], passes: ALL },
  {
    name: 'weak passages, all partial',
    isrel: 0.5,
    issup: 0.5,
    likelihood: null,
    totals: [0.5, 0.75, 1, 1.25, 1.5],
    passes: [false, false, true, true, true],
  },
  { name: 'all supported, p(y)=0.8', isrel: 1, issup: 1, likelihood: 0.8, totals: [2.3, 2.55, 2.8, 3.05, 3.3], passes: ALL },
  {
    name: 'half full, half partial, p(y)=0.8',
    isrel: 1,
    issup: 0.75,
    likelihood: 0.8,
    totals: [2.05, 2.3, 2.55, 2.8, 3.05],
    passes: ALL,
  },
  {
    name: 'weak passages, all partial, p(y)=0.8',
    isrel: 0.5,
    issup: 0.5,
    likelihood: 0.8,
    totals: [1.3, 1.55, 1.8, 2.05, 2.3],
    passes: ALL,
  },
  {
    name: 'weak passages, all partial, p(y)=0.2',
    isrel: 0.5,
    issup: 0.5,
    likelihood: 0.2,
    totals: [0.7, 0.95, 1.2, 1.45, 1.7],
    passes: [false, false, true, true, true],
  },
  {
    name: 'all supported, p(y)=0.2',
    isrel: 1,
    issup: 1,
    likelihood: 0.2,
    totals: [1.7, 1.95, 2.2, 2.45, 2.7],
    passes: ALL,
  },
];

describe('gate: the README table of worked examples (defaults: threshold 1.2, weights 1/1/0.5/1)', () => {
  for (const row of ROWS) {
    it(`${row.name}: usefulness 1..5`, () => {
      const scores = [1, 2, 3, 4, 5].map((usefulness) =>
        scoreAnswer(
          {
            isrel: row.isrel,
            issup: row.issup,
            usefulness,
            meanLogprob: row.likelihood === null ? null : Math.log(row.likelihood),
          },
          DEFAULTS,
        ),
      );
      expect(scores.map((s) => s.total)).toEqual(row.totals);
      expect(scores.map(passesGate)).toEqual(row.passes);
      const measured = row.likelihood !== null;
      expect(scores[0]).toMatchObject({
        threshold: measured ? 1.2 : 0.8571,
        configuredThreshold: 1.2,
        likelihood: row.likelihood,
        likelihoodStatus: measured ? 'measured' : 'unavailable',
        min: -0.5,
        max: measured ? 3.5 : 2.5,
      });
    });
  }

  it('ranges over [-0.5, 3.5] with the likelihood and [-0.5, 2.5] without; the threshold keeps its share', () => {
    expect(scoreRange(DEFAULTS.weights, true)).toEqual({ min: -0.5, max: 3.5 });
    expect(scoreRange(DEFAULTS.weights, false)).toEqual({ min: -0.5, max: 2.5 });
    expect(gateThreshold(DEFAULTS, true)).toBe(1.2);
    expect(gateThreshold(DEFAULTS, false)).toBeCloseTo((1.2 * 2.5) / 3.5, 12);
  });

  it('never counts a missing likelihood as zero: the threshold drops with the term and the result says so', () => {
    const without = scoreAnswer({ isrel: 1, issup: 0.5, usefulness: 1, meanLogprob: null }, DEFAULTS);
    // Counted as p(y) = 0 against the full threshold this answer (1.0) would abstain.
    expect(without.total).toBe(1);
    expect(passesGate(without)).toBe(true);
    expect(likelihoodNote(without)).toBe(
      'The generator reports no token probabilities: the likelihood term is left out of the gate score and the ' +
        'threshold (0.8571 instead of 1.2, on a scale of -0.5 to 2.5).',
    );
    const measured = scoreAnswer({ isrel: 1, issup: 0.5, usefulness: 1, meanLogprob: Math.log(0.1) }, DEFAULTS);
    expect(measured).toMatchObject({ total: 1.1, threshold: 1.2, likelihood: 0.1 });
    expect(passesGate(measured)).toBe(false);
    expect(likelihoodNote(measured)).toBeNull();
  });

  it('a likelihood weight of 0 leaves the threshold alone either way', () => {
    const settings = { threshold: 1.2, weights: { ...DEFAULTS.weights, likelihood: 0 } };
    expect(scoreAnswer({ isrel: 1, issup: 1, usefulness: 3, meanLogprob: null }, settings)).toMatchObject({
      total: 2,
      threshold: 1.2,
      max: 2.5,
    });
  });
});

const verdict = (text: string, start: number, support: SentenceVerdict['support']): SentenceVerdict => ({
  text,
  start,
  end: start + text.length,
  markers: [1],
  support,
  removed: false,
});

describe('gate: ISSUP of the table rows from sentence verdicts', () => {
  const answer = 'One [1]. Two [1]. Three [1]. Four [1].';
  const at = (i: number) => answer.indexOf(['One', 'Two', 'Three', 'Four'][i] as string);
  const graded = (supports: SentenceVerdict['support'][]) =>
    supports.map((s, i) => verdict(answer.slice(at(i), answer.indexOf('.', at(i)) + 1), at(i), s));

  it('all supported 1, half full and half partial 0.75, all partial 0.5', () => {
    expect(issupScore(graded(['full', 'full', 'full', 'full']))).toBe(1);
    expect(issupScore(graded(['full', 'partial', 'full', 'partial']))).toBe(0.75);
    expect(issupScore(graded(['partial', 'partial', 'partial', 'partial']))).toBe(0.5);
  });

  it('half full and half none: the gate scores what revision kept (1), not the draft (0.5)', () => {
    const draft = graded(['full', 'none', 'full', 'none']);
    expect(issupScore(draft)).toBe(0.5);
    const revised = removeUnsupported(answer, draft);
    expect(revised.answer).toBe('One [1]. Three [1].');
    expect(issupScore(revised.sentences)).toBe(1);
  });
});
