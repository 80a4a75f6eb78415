import type { Citation } from '../core/index.ts';
import { analyze } from '../retrieval/index.ts';
import { chunkSentences, citePassage, type DocumentText } from './citations.ts';
import { answerConfidence, type ConfidencePenalties, DEFAULT_PENALTIES } from './extractive-confidence.ts';
import { type AnswerCue, answerCue, cueMatches, matchTerms, questionTerms } from './extractive-cues.ts';
import { coverage, createBm25Pool, phraseMatch, questionBigrams } from './extractive-score.ts';
import { readableText } from './sentence-lines.ts';
import type { Span } from './text.ts';
import type { GradedPassage, SentenceVerdict } from './types.ts';

/**
 * The answerer used when no generator is available: the sentences of the top passages that best
 * answer the question, quoted verbatim and cited. Nothing is generated, so nothing can be made up;
 * the result says it is extractive. Sentences are ranked by BM25 against the question (terms from
 * the index's own analyzer, idf over the candidate sentences), by how much of the question their
 * passage covers, by how much of the question they and their neighbours hold, by the question's
 * phrases (adjacent term pairs) they repeat, by whether they hold the kind of thing the question
 * asks for (a date for "when", a number for "how many", a name for "who"), and by the passage's
 * retrieval score and rank, which are the cross-encoder's when one reranked. Sentences of every
 * kept passage compete, so a passage retrieval put second or fifth can still give the answer when
 * one of its sentences says what the question asks far better than the first passage's.
 */
export interface ExtractiveSettings {
  /** Abstain when the answer's confidence (0..1, extractive-confidence.ts) is below this. */
  minOverlap: number;
  sentences: number;
  /** How many of the kept passages' sentences compete; all of them by default. */
  topPassages?: number;
  weights?: Partial<ExtractiveWeights>;
  penalties?: Partial<ConfidencePenalties>;
}

export interface ExtractiveWeights {
  /** Sentence BM25, normalised by the best candidate's. */
  bm25: number;
  /** Share of the question's idf mass in the sentence's passage. */
  passage: number;
  /** Share of the question's idf mass in the sentence itself. */
  sentence: number;
  /** Share of the question's idf mass in the sentence with the sentences either side of it. */
  window: number;
  /** The question's adjacent term pairs found side by side in the sentence (up to 3). */
  phrase: number;
  /** The same, the best sentence of its passage: a passage that repeats the question's phrasing. */
  passagePhrase: number;
  /** A date, number or name of the kind the question asks for. */
  cue: number;
  /** 1 for the first passage, falling with rank. */
  rank: number;
  /** The passage's retrieval score as a share of the first passage's. */
  retrieval: number;
  /** A second sentence joins the answer when its BM25 is at least this share of the best sentence's. */
  second: number;
}

/** Chosen on the even-numbered questions of SQuAD v1.1 dev (README, "Extractive answers"). */
export const DEFAULT_WEIGHTS: ExtractiveWeights = {
  bm25: 1,
  passage: 0,
  sentence: 0.5,
  window: 0.4,
  phrase: 0.2,
  passagePhrase: 0.6,
  cue: 0.8,
  rank: 0.1,
  retrieval: 1.5,
  second: 0.5,
};

export interface ExtractiveAnswer {
  answer: string;
  sentences: SentenceVerdict[];
  citations: Citation[];
  /** The answer's confidence, 0..1 (extractive-confidence.ts). */
  score: number;
}

interface Candidate {
  rank: number;
  passage: GradedPassage;
  span: Span;
  text: string;
  terms: string[];
  /** The sentence with its neighbours in the passage. */
  windowTerms: Set<string>;
  phrase: number;
  passagePhrase: number;
  passageTerms: Set<string>;
  /** The passage's terms with its document's title and headings: what the passage is about. */
  aboutTerms: Set<string>;
  cue: boolean;
  /** BM25 against the question: 0 when the sentence shares no term with it. */
  bm25: number;
  score: number;
}

interface Question {
  text: string;
  cue: AnswerCue | null;
  pairs: ReadonlySet<string>;
}

function collectCandidates(passages: GradedPassage[], docText: DocumentText, top: number, question: Question): Candidate[] {
  return passages.slice(0, top).flatMap((passage, rank) => {
    const spans = chunkSentences(passage.passage, docText);
    const texts = spans.map((s) => readableText(s.text));
    const terms = texts.map((t) => matchTerms(t));
    const phrases = terms.map((t) => phraseMatch(question.pairs, wordsOnly(t)));
    const passageTerms = new Set(terms.flat());
    const { title, headings } = passage.passage;
    const aboutTerms = new Set([...passageTerms, ...[title, ...headings].flatMap((t) => matchTerms(t))]);
    const passagePhrase = Math.max(0, ...phrases);
    return spans.map((span, i) => {
      const text = texts[i] as string;
      return {
        rank,
        passage,
        span,
        text,
        terms: terms[i] as string[],
        windowTerms: new Set([...(terms[i - 1] ?? []), ...(terms[i] as string[]), ...(terms[i + 1] ?? [])]),
        phrase: phrases[i] as number,
        passagePhrase,
        passageTerms,
        aboutTerms,
        cue: question.cue !== null && cueMatches(question.cue, text, question.text),
        bm25: 0,
        score: 0,
      };
    });
  });
}

/** matchTerms gives the analyzer's terms, then prefix terms ("proje~"): the words alone, in order. */
function wordsOnly(terms: string[]): string[] {
  return terms.filter((term) => !term.endsWith('~'));
}

export function extractAnswer(
  question: string,
  passages: GradedPassage[],
  docText: DocumentText,
  settings: ExtractiveSettings,
): ExtractiveAnswer | null {
  const w = { ...DEFAULT_WEIGHTS, ...settings.weights };
  const cue = answerCue(question);
  const asked = { text: question, cue, pairs: questionBigrams(analyze(question)) };
  const candidates = collectCandidates(passages, docText, settings.topPassages ?? passages.length, asked);
  const query = questionTerms(question);
  if (candidates.length === 0 || query.length === 0) return null;
  if (!scoreCandidates(candidates, query, passages, w)) return null;
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.rank - b.rank || a.span.start - b.span.start);
  const best = ranked[0] as Candidate;
  const picks = pickSentences(ranked, settings.sentences, w.second, candidates);
  const answerText = picks.map((p) => p.text).join(' ');
  const confidence = answerConfidence(
    {
      query,
      answer: new Set(picks.flatMap((p) => p.terms)),
      passage: best.aboutTerms,
      question,
      answerText,
      cueMet: cue === null ? null : picks.some((p) => p.cue),
    },
    { ...DEFAULT_PENALTIES, ...settings.penalties },
  );
  if (confidence < settings.minOverlap) return null;
  return { ...render(picks), score: confidence };
}

/** Sets each candidate's score; false when no candidate shares a term with the question. */
function scoreCandidates(candidates: Candidate[], query: string[], passages: GradedPassage[], w: ExtractiveWeights): boolean {
  const pool = createBm25Pool(candidates.map((c) => c.terms));
  const bm25 = candidates.map((c) => pool.score(query, c.terms));
  const top = Math.max(...bm25);
  if (top <= 0) return false;
  const retrieval = retrievalShares(passages);
  candidates.forEach((c, i) => {
    c.bm25 = bm25[i] as number;
    c.score =
      w.bm25 * (c.bm25 / top) +
      w.passage * coverage(query, c.passageTerms, pool.idf) +
      w.sentence * coverage(query, new Set(c.terms), pool.idf) +
      w.window * coverage(query, c.windowTerms, pool.idf) +
      w.phrase * c.phrase +
      w.passagePhrase * c.passagePhrase +
      (c.cue ? w.cue : 0) +
      w.rank / (1 + c.rank) +
      w.retrieval * (retrieval[c.rank] ?? 0);
  });
  return true;
}

/** Each passage's retrieval score (the reranker's where it ran) as a share of the first one's. */
function retrievalShares(passages: GradedPassage[]): number[] {
  const raw = passages.map((p) => {
    const s = p.passage.scores;
    return s.rerank ?? s.fused ?? s.bm25 ?? s.dense ?? 0;
  });
  const max = Math.max(...raw);
  const min = Math.min(...raw, 0);
  return raw.map((x) => (max > min ? (x - min) / (max - min) : 1));
}

/**
 * The best sentence first, then a runner-up that matches the question about as well by its own
 * words (BM25 at least `ratio` of the best's): a second chance where two sentences score alike,
 * but not a sentence that merely shares the best one's passage.
 */
function pickSentences(ranked: Candidate[], count: number, ratio: number, all: Candidate[]): Candidate[] {
  const best = ranked[0] as Candidate;
  const picks = [best, ...ranked.slice(1, count).filter((c) => c.bm25 > 0 && c.bm25 >= best.bm25 * ratio)];
  const before = picks.length === 1 && count >= 2 && ANAPHOR.test(best.text) ? previousSentence(best, all) : null;
  return before ? [before, best] : picks;
}

/** A sentence that opens by pointing back ("He", "Its", "This") names its subject in the sentence before. */
const ANAPHOR = /^(?:he|she|it|they|his|her|its|their|this|these|those|such)\b/i;

function previousSentence(sentence: Candidate, all: Candidate[]): Candidate | null {
  let previous: Candidate | null = null;
  for (const c of all) {
    if (c.passage !== sentence.passage || c.span.end > sentence.span.start) continue;
    if (!previous || c.span.start > previous.span.start) previous = c;
  }
  return previous;
}

/** Each quoted sentence gets its own citation number, so two quotes from one passage are [1] and [2]. */
function render(picks: Candidate[]): Omit<ExtractiveAnswer, 'score'> {
  let answer = '';
  const sentences: SentenceVerdict[] = [];
  const citations: Citation[] = [];
  picks.forEach((pick, i) => {
    const marker = i + 1;
    if (answer) answer += ' ';
    const text = `${pick.text} [${marker}]`;
    sentences.push({
      text,
      start: answer.length,
      end: answer.length + text.length,
      markers: [marker],
      support: null,
      removed: false,
    });
    answer += text;
    citations.push(citePassage(marker, pick.passage.passage, { ...pick.span, text: pick.text }));
  });
  return { answer, sentences, citations };
}
