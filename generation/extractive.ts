import type { Citation } from '../core/index.ts';
import { chunkSentences, type DocumentText } from './citations.ts';
import { contentWords, overlapScore, type Span } from './text.ts';
import type { GradedPassage, SentenceVerdict } from './types.ts';

/**
 * The answerer used when no generator is available: the sentences of the top passages that best
 * match the question, quoted verbatim and cited. Nothing is generated, so nothing can be made up;
 * the result says it is extractive.
 */
export interface ExtractiveSettings {
  minOverlap: number;
  sentences: number;
  topPassages?: number;
}

export interface ExtractiveAnswer {
  answer: string;
  sentences: SentenceVerdict[];
  citations: Citation[];
  /** The best sentence's score: the weighted share of question words it contains. */
  score: number;
}

interface Candidate {
  rank: number;
  passage: GradedPassage;
  span: Span;
  words: Set<string>;
  score: number;
}

function collectCandidates(passages: GradedPassage[], docText: DocumentText, top: number): Candidate[] {
  return passages.slice(0, top).flatMap((passage, rank) =>
    chunkSentences(passage.passage, docText).map((span) => ({
      rank,
      passage,
      span,
      words: new Set(contentWords(span.text)),
      score: 0,
    })),
  );
}

/** Rarer words count more: idf over the candidate sentences themselves. */
function idfOver(candidates: Candidate[]): (word: string) => number {
  const df = new Map<string, number>();
  for (const c of candidates) for (const w of c.words) df.set(w, (df.get(w) ?? 0) + 1);
  return (word) => Math.log(1 + (candidates.length + 1) / ((df.get(word) ?? 0) + 0.5));
}

export function extractAnswer(
  question: string,
  passages: GradedPassage[],
  docText: DocumentText,
  settings: ExtractiveSettings,
): ExtractiveAnswer | null {
  const candidates = collectCandidates(passages, docText, settings.topPassages ?? 3);
  const queryWords = contentWords(question);
  const idf = idfOver(candidates);
  for (const c of candidates) c.score = overlapScore(queryWords, c.words, idf);
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.rank - b.rank || a.span.start - b.span.start);
  const best = ranked[0];
  if (!best || best.score < settings.minOverlap) return null;
  const picks = ranked.filter((c) => c.score >= best.score * 0.9).slice(0, settings.sentences);
  picks.sort((a, b) => a.rank - b.rank || a.span.start - b.span.start);
  return { ...render(picks), score: best.score };
}

function render(picks: Candidate[]): Omit<ExtractiveAnswer, 'score'> {
  let answer = '';
  const sentences: SentenceVerdict[] = [];
  const citations: Citation[] = [];
  for (const pick of picks) {
    if (answer) answer += ' ';
    const text = `${pick.span.text} [${pick.passage.marker}]`;
    sentences.push({
      text,
      start: answer.length,
      end: answer.length + text.length,
      markers: [pick.passage.marker],
      support: null,
      removed: false,
    });
    answer += text;
    const p = pick.passage.passage;
    citations.push({
      marker: pick.passage.marker,
      chunkId: p.chunkId,
      documentId: p.documentId,
      source: p.source,
      title: p.title,
      page: p.page,
      start: pick.span.start,
      end: pick.span.end,
      quote: pick.span.text,
    });
  }
  return { answer, sentences, citations };
}
