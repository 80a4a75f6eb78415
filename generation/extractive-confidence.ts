import { analyze } from '../retrieval/index.ts';

/**
 * How sure the extractive answerer is that its sentences answer the question, 0..1; below
 * answer.extractiveMinOverlap it abstains. It is the share of the question's terms the answer
 * holds, lowered when the question names something (a capitalised name, a figure) that the passage
 * never mentions, which is a question about a different thing than the text, and when the question
 * is negated and the answer is not, where the text most likely says the opposite. The terms are
 * counted alike rather than weighted by idf over the candidate sentences: that pool is small, and a
 * paraphrased word it lacks would weigh most (SQuAD 2.0 dev: fewer unanswerable questions caught at
 * the same cost).
 */
export interface ConfidenceInput {
  /** The question's terms. */
  query: string[];
  /** Terms of the picked sentences, and of the best sentence's whole passage. */
  answer: ReadonlySet<string>;
  passage: ReadonlySet<string>;
  question: string;
  answerText: string;
}

export interface ConfidencePenalties {
  /** Factor when the question names something the passage never mentions. */
  missing: number;
  /** Factor when the question is negated and the answer is not. */
  negation: number;
}

export const DEFAULT_PENALTIES: ConfidencePenalties = { missing: 0.4, negation: 0.2 };

const NAMED = /(?<=[^\p{L}\p{N}])(?:\p{Lu}[\p{L}\p{N}'’-]*|\p{N}+(?:[.,]\p{N}+)*)/gu;
const NEGATION = /\b(?:not|never|no|none|nor|without|cannot)\b|n't\b|[不没未非]/iu;

/** Terms of the names and figures a question mentions (capitalised words after its first word, numbers). */
export function namedTerms(question: string): string[] {
  return [...question.matchAll(NAMED)].flatMap((m) => analyze(m[0]));
}

export function answerConfidence(input: ConfidenceInput, penalties: ConfidencePenalties = DEFAULT_PENALTIES): number {
  const query = [...new Set(input.query)];
  if (query.length === 0) return 0;
  let confidence = query.filter((t) => input.answer.has(t)).length / query.length;
  if (namedTerms(input.question).some((t) => !input.passage.has(t))) confidence *= penalties.missing;
  if (NEGATION.test(input.question) && !NEGATION.test(input.answerText)) confidence *= penalties.negation;
  return confidence;
}
