import { analyze } from '../retrieval/index.ts';

/**
 * How sure the extractive answerer is that its sentences answer the question, 0..1; below
 * answer.extractiveMinOverlap it abstains. It is the share of the question's terms the answer
 * holds, lowered when the question names something (a capitalised name, a figure) that the passage
 * never mentions, which is a question about a different thing than the text; a little when the
 * passage names it but the answer's sentences do not; when the question is negated and the answer
 * is not, where the text most likely says the opposite; and when the question asks for a date, a
 * number or a name and the answer holds none. Terms count alike rather than by idf over the
 * candidate sentences: that pool is small, and a paraphrased word it lacks would weigh most. The
 * factors were chosen on SQuAD 2.0 dev (README, "Extractive answers").
 */
export interface ConfidenceInput {
  /** The question's terms. */
  query: string[];
  /** Terms of the picked sentences, and of the best sentence's whole passage. */
  answer: ReadonlySet<string>;
  passage: ReadonlySet<string>;
  question: string;
  answerText: string;
  /** Whether the answer holds the kind of thing the question asks for; null when it asks for none. */
  cueMet: boolean | null;
}

export interface ConfidencePenalties {
  /** The question names something the passage never mentions. */
  missing: number;
  /** The passage names it, the answer's sentences do not. */
  elsewhere: number;
  /** The question is negated and the answer is not. */
  negation: number;
  /** The question asks for a date, number or name and the answer has none. */
  cue: number;
}

export const DEFAULT_PENALTIES: ConfidencePenalties = { missing: 0.2, elsewhere: 0.9, negation: 0.1, cue: 0.7 };

// A figure is taken whole ("40th", "1920s", "480i"), as the analyzer indexes it.
const NAMED = /(?<=[^\p{L}\p{N}])(?:\p{Lu}[\p{L}\p{N}'’-]*|\p{N}[\p{L}\p{N}]*(?:[.,]\p{N}+)*)/gu;
const POSSESSIVE = /['’]s?$/u;
const NEGATION = /\b(?:not|never|no|none|nor|without|cannot)\b|n't\b|[不没未非]/iu;

/** Terms of the names and figures a question mentions (capitalised words after its first word, numbers). */
export function namedTerms(question: string): string[] {
  // "ABC's" names ABC: the possessive is no name of its own.
  return [...question.matchAll(NAMED)].flatMap((m) => analyze(m[0].replace(POSSESSIVE, '')));
}

export function answerConfidence(input: ConfidenceInput, penalties: ConfidencePenalties = DEFAULT_PENALTIES): number {
  const query = [...new Set(input.query)];
  if (query.length === 0) return 0;
  let confidence = query.filter((t) => input.answer.has(t)).length / query.length;
  const named = namedTerms(input.question);
  if (named.some((t) => !input.passage.has(t))) confidence *= penalties.missing;
  else if (named.some((t) => !input.answer.has(t))) confidence *= penalties.elsewhere;
  if (NEGATION.test(input.question) && !NEGATION.test(input.answerText)) confidence *= penalties.negation;
  if (input.cueMet === false) confidence *= penalties.cue;
  return confidence;
}
