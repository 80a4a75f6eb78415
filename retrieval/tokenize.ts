import { stemmer } from 'stemmer';
import { hasNoSpaceScript, toSearchText } from '../core/index.ts';

/**
 * The lexical analyzer shared by indexing and querying: lowercase, Unicode word split, diacritics
 * removed, Lucene's English stopwords dropped, Porter stems for Latin words. Text in scripts
 * written without spaces is segmented into words first (toSearchText), so both sides see words.
 */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(
    ' ',
  ),
);

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const NON_ASCII = /[^\u0000-\u007f]/;
/** Diacritics are dropped from Latin letters only: other scripts' marks are parts of letters. */
const LATIN_MARKS = /(\p{Script=Latin})\p{M}+/gu;
const LATIN_WORD = /^[a-z]+$/;
/** Words longer than this are noise (hashes, base64) and would bloat the vocabulary. */
const MAX_WORD_CHARS = 64;

const stems = new Map<string, string>();

/** Porter stem of a lowercase Latin word, memoized: stemming dominates index build time. */
function stem(word: string): string {
  let out = stems.get(word);
  if (out === undefined) {
    out = LATIN_WORD.test(word) ? stemmer(word) : word;
    if (stems.size < 500_000) stems.set(word, out);
  }
  return out;
}

/** The terms of a text, in order, duplicates kept (term frequency counts them). */
export function analyze(text: string): string[] {
  let lower = text.toLowerCase();
  if (NON_ASCII.test(lower)) {
    if (hasNoSpaceScript(lower)) lower = toSearchText(lower);
    lower = lower.normalize('NFD').replace(LATIN_MARKS, '$1').normalize('NFC');
  }
  const words = lower.match(WORD);
  if (!words) return [];
  const terms: string[] = [];
  for (const word of words) {
    if (word.length > MAX_WORD_CHARS || ENGLISH_STOPWORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}
