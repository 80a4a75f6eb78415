import type { Store } from '../store/index.ts';
import { documentTextFrom } from './citations.ts';
import { extractAnswer } from './extractive.ts';
import { goldInAnswer, type SquadQuestion } from './squad.ts';
import type { AnswerResult } from './types.ts';

/**
 * Where the extractive answerer ranks the first sentence that holds the gold answer, among the
 * sentences of the passages each question's run kept: the ceiling of any answer that quotes its
 * top n sentences, whatever the abstention threshold. Shares of the answerable questions.
 */
export interface GoldSentenceRanks {
  /** Cumulative: the gold answer is inside one of the top n sentences. */
  top: Record<'1' | '2' | '3' | '5' | '10', number>;
  /** Not inside any of the top DEPTH sentences (most often: its paragraph was not retrieved). */
  beyond: number;
  depth: number;
}

const DEPTH = 30;
const CUTS = [1, 2, 3, 5, 10] as const;

export function goldSentenceRanks(store: Store, results: { q: SquadQuestion; result: AnswerResult }[]): GoldSentenceRanks {
  const docText = documentTextFrom((id) => store.documents.get(id));
  // Every sentence with a word of the question, in rank order: no runner-up rule, no threshold.
  const settings = { minOverlap: 0, sentences: DEPTH, weights: { second: 0 } };
  const ranks: number[] = [];
  for (const { q, result } of results) {
    if (q.answers.length === 0) continue;
    const kept = result.passages.filter((p) => p.kept);
    const extracted = kept.length > 0 ? extractAnswer(result.standaloneQuestion, kept, docText, settings) : null;
    const at = extracted ? extracted.citations.findIndex((c) => goldInAnswer(c.quote, q.answers)) : -1;
    ranks.push(at < 0 ? Number.POSITIVE_INFINITY : at + 1);
  }
  const share = (n: number) => (ranks.length === 0 ? 0 : Math.round((n / ranks.length) * 10_000) / 10_000);
  const within = (cut: number) => share(ranks.filter((r) => r <= cut).length);
  const top = Object.fromEntries(CUTS.map((cut) => [String(cut), within(cut)])) as GoldSentenceRanks['top'];
  return { top, beyond: share(ranks.filter((r) => r > DEPTH).length), depth: DEPTH };
}
