import type { CairnError } from '../core/index.ts';
import { abstain, type Run } from './run.ts';
import type { GateScore, GradedPassage, SentenceVerdict, Support } from './types.ts';

/**
 * The Self-RAG gate as pure functions. Segment score = w_lik·p(y) + w_rel·ISREL + w_sup·ISSUP +
 * w_use·ISUSE, with p(y) = exp(mean token logprob), ISSUP = p(full) + 0.5·p(partial) (averaged
 * over sentences) and ISUSE mapped from 1..5 onto {-1, -0.5, 0, 0.5, 1} as in the Self-RAG paper.
 */
export interface GateSettings {
  threshold: number;
  weights: { isrel: number; issup: number; isuse: number; likelihood: number };
}

const SUPPORT_VALUE: Record<Support, number> = { full: 1, partial: 0.5, none: 0 };

export function issupScore(sentences: SentenceVerdict[]): number {
  const graded = sentences.filter((s) => !s.removed && s.support !== null);
  if (graded.length === 0) return 0;
  return graded.reduce((sum, s) => sum + SUPPORT_VALUE[s.support as Support], 0) / graded.length;
}

export function isrelScore(passages: GradedPassage[]): number {
  const kept = passages.filter((p) => p.kept);
  return kept.length === 0 ? 0 : kept.reduce((sum, p) => sum + p.score, 0) / kept.length;
}

export function isuseScore(usefulness: number): number {
  return (usefulness - 3) / 2;
}

export interface GateParts {
  isrel: number;
  issup: number;
  usefulness: number;
  /** Mean token log-probability of the answer; null when the backend reports none. */
  meanLogprob: number | null;
}

/**
 * The Self-RAG score. Every term lies in [0, 1] except ISUSE in [-1, 1], so the total ranges over
 * [-w_use, w_rel + w_sup + w_use + w_lik]. When the backend reports no token probabilities the
 * likelihood term is left out of the total AND the threshold is scaled to the same share of the
 * smaller best score (threshold · max_without / max_with): a missing term never counts as zero.
 */
export function scoreAnswer(parts: GateParts, settings: GateSettings): GateScore {
  const w = settings.weights;
  const isuse = isuseScore(parts.usefulness);
  const likelihood = parts.meanLogprob === null ? null : Math.exp(parts.meanLogprob);
  const base = w.isrel * parts.isrel + w.issup * parts.issup + w.isuse * isuse;
  const range = scoreRange(w, likelihood !== null);
  return {
    total: round(likelihood === null ? base : base + w.likelihood * likelihood),
    threshold: round(gateThreshold(settings, likelihood !== null)),
    configuredThreshold: settings.threshold,
    isrel: round(parts.isrel),
    issup: round(parts.issup),
    isuse,
    likelihood: likelihood === null ? null : round(likelihood),
    likelihoodStatus: likelihood === null ? 'unavailable' : 'measured',
    min: round(range.min),
    max: round(range.max),
    weights: w,
  };
}

/** Lowest and highest total the counted terms allow (a negative weight flips its term's bounds). */
export function scoreRange(w: GateSettings['weights'], withLikelihood: boolean): { min: number; max: number } {
  const terms: [number, number, number][] = [
    [w.isrel, 0, 1],
    [w.issup, 0, 1],
    [w.isuse, -1, 1],
  ];
  if (withLikelihood) terms.push([w.likelihood, 0, 1]);
  let min = 0;
  let max = 0;
  for (const [weight, lo, hi] of terms) {
    min += Math.min(weight * lo, weight * hi);
    max += Math.max(weight * lo, weight * hi);
  }
  return { min, max };
}

/** The configured threshold, or its share of the best score without the likelihood term. */
export function gateThreshold(settings: GateSettings, withLikelihood: boolean): number {
  if (withLikelihood) return settings.threshold;
  const full = scoreRange(settings.weights, true).max;
  const reduced = scoreRange(settings.weights, false).max;
  return full > 0 ? (settings.threshold * reduced) / full : settings.threshold;
}

/** Kept when the total reaches the threshold it was compared with (both as reported). */
export function passesGate(score: GateScore): boolean {
  return score.total >= score.threshold;
}

/** The note a result carries when the likelihood term could not be counted. */
export function likelihoodNote(score: GateScore): string | null {
  if (score.likelihoodStatus === 'measured') return null;
  return (
    'The generator reports no token probabilities: the likelihood term is left out of the gate score and the ' +
    `threshold (${score.threshold} instead of ${score.configuredThreshold}, on a scale of ${score.min} to ${score.max}).`
  );
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** What to do after ISSUP: keep the answer, drop or regenerate the unsupported part, or abstain. */
export type SupportAction = 'keep' | 'remove' | 'regenerate' | 'abstain';

export function planRevision(
  sentences: SentenceVerdict[],
  revise: 'remove' | 'regenerate',
  alreadyRevised: boolean,
): SupportAction {
  const unsupported = sentences.filter((s) => s.support === 'none').length;
  if (unsupported === 0) return 'keep';
  if (unsupported === sentences.length) return 'abstain';
  return revise === 'regenerate' && !alreadyRevised ? 'regenerate' : 'remove';
}

/** Marks unsupported sentences removed and returns the answer without them. */
export function removeUnsupported(
  answer: string,
  sentences: SentenceVerdict[],
): { answer: string; sentences: SentenceVerdict[] } {
  const marked = sentences.map((s) => ({ ...s, removed: s.removed || s.support === 'none' }));
  const kept = marked.filter((s) => !s.removed);
  let text = '';
  const rebased = marked.map((s) => {
    if (s.removed) return s;
    if (text) text += ' ';
    const start = text.length;
    text += answer.slice(s.start, s.end);
    return { ...s, start, end: text.length };
  });
  return { answer: kept.length === 0 ? '' : text, sentences: rebased };
}

/** Markers of the passages that support at least one kept sentence. */
export function supportingMarkers(sentences: SentenceVerdict[]): Set<number> {
  const markers = new Set<number>();
  for (const s of sentences)
    if (!s.removed && (s.support === 'full' || s.support === 'partial')) for (const m of s.markers) markers.add(m);
  return markers;
}

/**
 * A grader whose output was invalid twice (not JSON, or not its schema) leaves the answer unchecked:
 * it is withheld like any other abstention, never kept as if it were supported.
 */
export function markUngraded(run: Run, error: CairnError): void {
  const stage = typeof error.details?.stage === 'string' ? error.details.stage.toUpperCase() : 'A';
  abstain(run, 'ungraded');
  run.result.notes.push(
    `The ${stage} grader returned invalid output twice, so the answer could not be checked against its sources and is withheld.`,
  );
}
