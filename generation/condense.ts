import type { ChatTurn } from '../models/types.ts';
import type { AnswerResult } from './types.ts';

/**
 * Follow-up questions without a generator to rewrite them. A question is joined to the previous
 * one only when it cannot stand alone: it refers to something (a pronoun, "there", an ellipsis such
 * as "and its river?" or "what about Germany?") that nothing inside it names. Joining never reaches
 * past the last user turn, so a chat of unrelated questions answers each as if asked alone.
 */

/** Words that point at something named earlier; an object or possessive pronoun almost always does. */
const REFERRING = new Set(
  'it its itself they them their theirs themselves he him his himself she her hers herself there thereof'.split(' '),
);
/** Demonstratives refer outward only when used alone ("who wrote this?"), not before a noun ("this year"). */
const DEMONSTRATIVES = new Set(['this', 'that', 'these', 'those']);
const FUNCTION_WORDS = new Set(
  'a an the of in on at to for from by with and or but is are was were be been do does did has have had will would can could ? . ! ,'.split(
    ' ',
  ),
);
/** Openings that continue the previous question rather than ask a new one. */
const ELLIPSIS = /^(?:and|or|but|also|so|then|what about|how about|same for|what else|why not|and then)\b/i;
/** Chinese pronouns and the sentence-final 呢 of "那…呢？" follow-ups. */
const CJK_REFERRING = /[它他她其]|这个|那个|这些|那些|该|^那|呢[？?]?$/u;

const WORD = /[\p{L}\p{N}'’]+|[?.!,]/gu;

export interface JoinedQuestion {
  question: string;
  joined: boolean;
}

/** Whether the question names its own subject; false when it leans on an earlier turn. */
export function standsAlone(question: string): boolean {
  const text = question.trim();
  if (ELLIPSIS.test(text)) return false;
  if (CJK_REFERRING.test(text)) return false;
  const words = (text.match(WORD) ?? []).map((w) => w.replace(/['’]s$/, ''));
  for (let i = 0; i < words.length; i++) {
    const word = (words[i] as string).toLowerCase();
    if (REFERRING.has(word) && !existential(words, i) && !namedBefore(words, i)) return false;
    if (DEMONSTRATIVES.has(word) && isPronoun(words[i + 1]) && !namedBefore(words, i)) return false;
  }
  return true;
}

/** "Is there a …", "there are …": the "there" that introduces rather than points back. */
function existential(words: string[], index: number): boolean {
  if ((words[index] as string).toLowerCase() !== 'there') return false;
  const be = /^(?:is|are|was|were|be|been|exist|exists|remain|remains)$/i;
  return be.test(words[index - 1] ?? '') || be.test(words[index + 1] ?? '');
}

/** A demonstrative stands for a noun when nothing but a function word or the end follows it. */
function isPronoun(next: string | undefined): boolean {
  return next === undefined || FUNCTION_WORDS.has(next.toLowerCase());
}

/**
 * Something the pronoun can point back to inside the question: a capitalised name after the first
 * word, or a noun after an article ("the company … it").
 */
function namedBefore(words: string[], index: number): boolean {
  for (let i = 1; i < index; i++) {
    const word = words[i] as string;
    if (/^\p{Lu}/u.test(word) && !/^I$/.test(word)) return true;
    const previous = (words[i - 1] as string).toLowerCase();
    if ((previous === 'the' || previous === 'a' || previous === 'an') && /^\p{L}/u.test(word)) return true;
  }
  return false;
}

/** The question to retrieve with: the follow-up alone, or joined to the last user question only. */
export function joinFollowUp(history: ChatTurn[], question: string): JoinedQuestion {
  if (standsAlone(question)) return { question, joined: false };
  const lastUser = [...history].reverse().find((t) => t.role === 'user');
  if (!lastUser) return { question, joined: false };
  return { question: `${lastUser.content} ${question}`, joined: true };
}

/** condenseStage's branch for runs without a generator: sets the standalone question and says when it joined. */
export function condenseWithoutGenerator(history: ChatTurn[], result: AnswerResult): void {
  const followUp = joinFollowUp(history, result.standaloneQuestion);
  if (!followUp.joined) return;
  result.standaloneQuestion = followUp.question;
  result.notes.push('The follow-up question was joined with the previous one (no generator to condense it).');
}
