import { analyze } from '../retrieval/index.ts';

/**
 * What the question asks for, in words the extractive answerer can match: the question's terms
 * through the same analyzer as the BM25 index (stems, CJK segmentation), less the words every
 * question has; and the kind of answer its wh-word expects (a date, a number, a duration, a name, a
 * place).
 */
export type AnswerCue = 'date' | 'number' | 'duration' | 'name' | 'place';

const QUESTION_WORDS =
  'what which who whom whose when where why how many much do does did can could would should may might ' +
  'name named called kind type sort is was are were has have had been being i you we me my your our one ' +
  'from about after before over under between during any all some other than also most more';
const CJK_QUESTION_WORDS = '是 的 了 吗 呢 什么 哪 哪个 哪家 哪些 哪里 谁 多少 几 怎么 如何 为什么 何时 有 在 和 与 请问';
const QUESTION_STEMS = new Set([...analyze(QUESTION_WORDS), ...CJK_QUESTION_WORDS.split(' ')]);

/** The question's distinct terms that carry meaning; all of them when every one is a question word. */
export function questionTerms(question: string): string[] {
  const all = [...new Set(analyze(question))];
  const kept = all.filter((t) => !QUESTION_STEMS.has(t));
  return withPrefixes(kept.length > 0 ? kept : all);
}

/** A text's terms for matching: the analyzer's, plus a prefix term per long word. */
export function matchTerms(text: string): string[] {
  return withPrefixes(analyze(text));
}

const PREFIX = 5;
/**
 * Long words also match on their first letters, so forms the stemmer leaves apart still meet
 * ("plastoglobuli" and "plastoglobulus", "chloroplastidan" and "chloroplast").
 */
function withPrefixes(terms: string[]): string[] {
  const out = [...terms];
  for (const t of terms) if (t.length > PREFIX + 1 && /^[a-z]+$/.test(t)) out.push(`${t.slice(0, PREFIX)}~`);
  return out;
}

const CUES: [RegExp, AnswerCue][] = [
  [
    /\b(?:when|what (?:year|date|day|month|century|decade|time|era|period)|which (?:year|date|century|decade))\b|何时|什么时候|哪一?年|いつ/i,
    'date',
  ],
  // "How long does it take" wants a time, not any number: a length ("climbs 420 metres") is no answer.
  [
    /\bhow long\b[^?]*\b(?:take[sn]?|took|taking|last(?:s|ed|ing)?|stay(?:s|ed)?|wait(?:s|ed)?|live[sd]?|survive[sd]?|serve[sd]?|spen[dt]s?|reign(?:s|ed)?|remain(?:s|ed)?|ago|until|since|continue[sd]?)\b|\bfor how long\b|多长时间|多久/i,
    'duration',
  ],
  [
    /\bhow (?:many|much|long|old|far|large|big|tall|high|often|fast|heavy|deep|wide)\b|\bwhat (?:percentage|percent|number|amount|proportion|size|population|age)\b|多少|几|いくつ/i,
    'number',
  ],
  [/\b(?:who|whom|whose)\b|谁|哪家|哪位|誰/i, 'name'],
  [/\bwhere\b|哪里|哪儿|どこ/i, 'place'],
];

export function answerCue(question: string): AnswerCue | null {
  for (const [pattern, cue] of CUES) if (pattern.test(question)) return cue;
  return null;
}

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
const DATE = new RegExp(
  `\\b(?:1[0-9]{3}|20[0-9]{2})s?\\b|\\b(?:${MONTHS})\\b|\\b\\d{1,2}(?:st|nd|rd|th) century\\b|\\bcentury\\b|\\bdecade\\b|\\d+\\s*年|\\d+月`,
  'i',
);
const NUMBER =
  /\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|quarter)\b|[一二三四五六七八九十百千万亿]/i;
const TIME_UNIT = '(?:second|minute|hour|day|night|week|fortnight|month|year|decade|centur(?:y|ie)|millenni(?:um|a)|lifetime)s?';
/**
 * Time in some form: a unit ("three hours", "months", "a 24-year tenure"), an end point ("until the
 * 19th century", "a billion years ago") or a date, as SQuAD's answers to "how long" are.
 */
const DURATION = new RegExp(
  `\\b${TIME_UNIT}\\b|\\b(?:until|till|ago|forever|overnight)\\b|\\d\\s*(?:秒|分钟|小时|天|周|星期|个月|年)|半(?:天|年|小时)`,
  'i',
);
const CAPITALISED = /(?:^|[^\p{L}])(\p{Lu}[\p{L}'’.-]*)/gu;
const CJK_NAME = /[\p{Script=Han}]{2,}(?:公司|集团|大学|银行|医院|政府|有限公司)/u;

/**
 * Whether the sentence holds something of the expected kind that the question does not already
 * say: a year for "when", a number for "how many", an amount of time for "how long … take", a capitalised name for "who" or "where".
 */
export function cueMatches(cue: AnswerCue, sentence: string, question: string): boolean {
  if (cue === 'date') return DATE.test(sentence);
  if (cue === 'number') return NUMBER.test(sentence.replace(/\[\d+\]/g, ''));
  if (cue === 'duration') return DURATION.test(sentence) || DATE.test(sentence);
  if (CJK_NAME.test(sentence)) return true;
  const asked = new Set(analyze(question));
  for (const match of sentence.matchAll(CAPITALISED)) {
    const word = match[1] as string;
    if (match.index === 0 && sentence.startsWith(word)) continue;
    const terms = analyze(word);
    if (terms.length > 0 && terms.some((t) => !asked.has(t))) return true;
  }
  return false;
}
