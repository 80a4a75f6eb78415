import type { GateScore, GradedPassage, SentenceVerdict, Support } from './types.ts';

/**
 * The Self-RAG gate as pure functions. Segment score = w_lik·p(y) + w_rel·ISREL + w_sup·ISSUP +
 * w_use·ISUSE, with ISSUP = p(full) + 0.5·p(partial) (averaged over sentences) and ISUSE mapped
 * from 1..5 onto {-1, -0.5, 0, 0.5, 1} as in the Self-RAG paper.
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

export function scoreAnswer(
  parts: { isrel: number; issup: number; usefulness: number; meanLogprob: number | null },
  settings: GateSettings,
): GateScore {
  const w = settings.weights;
  const isuse = isuseScore(parts.usefulness);
  const likelihood = parts.meanLogprob === null ? null : Math.exp(parts.meanLogprob);
  const total =
    w.isrel * parts.isrel + w.issup * parts.issup + w.isuse * isuse + (likelihood === null ? 0 : w.likelihood * likelihood);
  return {
    total: round(total),
    threshold: settings.threshold,
    isrel: round(parts.isrel),
    issup: round(parts.issup),
    isuse,
    likelihood,
    weights: w,
  };
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
