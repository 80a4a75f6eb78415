/** Sentence splitting, citation markers and word overlap: pure helpers for every stage. */

import { softenLineBreaks } from './sentence-lines.ts';

export interface Span {
  text: string;
  start: number;
  end: number;
}

const sentenceSegmenters = new Map<string, Intl.Segmenter>();
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

function sentenceSegmenter(locale: string): Intl.Segmenter {
  let segmenter = sentenceSegmenters.get(locale);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'sentence' });
    sentenceSegmenters.set(locale, segmenter);
  }
  return segmenter;
}

const MARKER = /\[(\d{1,3})\]/g;
const LEADING_MARKERS = /^\s*(?:\[\d{1,3}\]\s*)+/;

/**
 * Sentences with offsets into text, trimmed; markers that open a segment belong to the sentence
 * before. A line feed ends a sentence only where it ends a paragraph, heading or list item (a PDF's
 * wrapped lines do not), so a span's text may hold line feeds: readableText() is what to show.
 */
export function splitSentences(text: string, locale = 'en'): Span[] {
  const spans: Span[] = [];
  for (const { segment, index } of sentenceSegmenter(locale).segment(softenLineBreaks(text))) {
    let start = index;
    const lead = LEADING_MARKERS.exec(segment);
    const last = spans[spans.length - 1];
    if (lead && last) {
      last.end = index + lead[0].trimEnd().length;
      last.text = text.slice(last.start, last.end);
      start = index + lead[0].length;
    }
    const trimmed = trimSpan(text, start, index + segment.length);
    if (!trimmed) continue;
    if (last && !lead && ABBREVIATION.test(last.text)) {
      last.end = trimmed.end;
      last.text = text.slice(last.start, last.end);
    } else spans.push(trimmed);
  }
  return spans;
}

/**
 * A full stop that ends an initial ("Nicholas E. Golovin") or a title or abbreviation that a name
 * or number follows ("Dr. Chen", "Samuel K. Cohn, Jr. (2002)") does not end the sentence.
 */
const ABBREVIATION =
  /(?:^|[\s(.])(?:\p{Lu}|Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|No|Nos|vs|Vol|Fig|Figs|Eq|Ref|Refs|Sec|Ch|pp|Inc|Ltd|Co|Corp|approx|ca|cf|e\.g|i\.e|et al)\.$/u;

function trimSpan(text: string, start: number, end: number): Span | null {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(text[s] as string)) s++;
  while (e > s && /\s/.test(text[e - 1] as string)) e--;
  return e > s ? { text: text.slice(s, e), start: s, end: e } : null;
}

/** Marker numbers cited in text, in order of first appearance. */
export function extractMarkers(text: string): number[] {
  const seen = new Set<number>();
  for (const match of text.matchAll(MARKER)) seen.add(Number(match[1]));
  return [...seen];
}

export function stripMarkers(text: string): string {
  return text
    .replace(MARKER, '')
    .replace(/\s+([.,;:!?])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

const STOPWORDS = new Set(
  (
    'a an and are as at be but by for from has have he her his how i in is it its me my of on or our she so that the their them ' +
    'there they this to was we were what when where which who whom why will with you your do does did can could would should ' +
    'not no into than then also about after before over under between during been being had if any all some such these those'
  ).split(' '),
);

/** Lowercased content words (stopwords dropped, light plural folding), for overlap scoring. */
export function contentWords(text: string): string[] {
  const words: string[] = [];
  for (const { segment, isWordLike } of wordSegmenter.segment(text.toLowerCase())) {
    if (!isWordLike || STOPWORDS.has(segment)) continue;
    words.push(segment.length > 3 && segment.endsWith('s') && !segment.endsWith('ss') ? segment.slice(0, -1) : segment);
  }
  return words;
}

/** Share of the query's distinct content words found in the candidate, weighted by the given idf. */
export function overlapScore(query: string[], candidate: Set<string>, idf: (word: string) => number = () => 1): number {
  const distinct = [...new Set(query)];
  if (distinct.length === 0) return 0;
  let hit = 0;
  let all = 0;
  for (const word of distinct) {
    const weight = idf(word);
    all += weight;
    if (candidate.has(word)) hit += weight;
  }
  return all === 0 ? 0 : hit / all;
}

/** Cuts text to at most max characters, on a word boundary where one is close. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > max * 0.8 ? cut.slice(0, space) : cut;
}
