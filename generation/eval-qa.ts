import type { Config, Logger, Passage } from '../core/index.ts';
import type { Generator } from '../models/types.ts';
import { type Store, sqliteDeps } from '../store/index.ts';
import { documentTextFrom } from './citations.ts';
import { type GoldSentenceRanks, goldSentenceRanks } from './eval-qa-ranks.ts';
import { extractAnswer } from './extractive.ts';
import { answer } from './pipeline.ts';
import {
  bestOver,
  exactMatch,
  f1Score,
  goldInAnswer,
  loadSquad,
  type SquadQuestion,
  type SquadSet,
  sampleEvenly,
} from './squad.ts';
import { stripMarkers } from './text.ts';
import type { AnswerResult, SearchFn } from './types.ts';

/**
 * `cairn eval qa`: SQuAD v1.1/v2.0 answers through the whole answer pipeline. Contexts go straight
 * into a scratch store (one document and one chunk per paragraph). `oracle` retrieval hands each
 * question its own paragraph (SQuAD's reading-comprehension setting); `search` runs retrieval over
 * every paragraph of the file (open-domain).
 */
export interface QaEvalOptions {
  file: string;
  limit?: number;
  retrieval?: 'oracle' | 'search';
  reflect?: boolean;
  /** Extractive only: also rank the sentence holding the gold answer (eval-qa-ranks.ts; one more pass). */
  ranks?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface QaEvalDeps {
  /** A scratch store (the caller opens one, e.g. in memory); the eval writes collection "squad-eval". */
  store: Store;
  config: Config;
  logger: Logger;
  generator: Generator | null;
  /** Builds retrieval's search over the scratch store; needed for `search` retrieval only. */
  createSearch?: (store: Store) => SearchFn;
}

interface Rate {
  count: number;
  abstained: number;
  abstentionRate: number;
}

export interface QaEvalReport {
  file: string;
  version: string;
  mode: 'extractive' | 'generative';
  generator: string;
  retrieval: 'oracle' | 'search';
  questions: number;
  exactMatch: number;
  f1: number;
  answerable: Rate & { exactMatch: number; f1: number; goldInAnswer: number; goldInAnswered: number };
  unanswerable: Rate;
  decisions: Record<string, number>;
  /** Mean length in characters of the answers given (markers left out; abstentions not counted). */
  meanAnswerChars: number;
  /**
   * Extractive only: what each abstention threshold (answer.extractiveMinOverlap) would give,
   * from the same answers' confidences. Rates are of all answerable / unanswerable questions.
   */
  curve: CurvePoint[] | null;
  /** Where the sentence holding the gold answer ranks; null unless asked for (extractive only). */
  ranks: GoldSentenceRanks | null;
  seconds: number;
  questionsPerSecond: number;
}

export interface CurvePoint {
  threshold: number;
  answerableAbstained: number;
  unanswerableAbstained: number;
  goldInAnswer: number;
}

const COLLECTION = 'squad-eval';
// 0.37 is the default answer.extractiveMinOverlap.
const CURVE = [0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.37, 0.4, 0.45, 0.5, 0.6];

function chunkOf(key: string, context: string) {
  return {
    id: `${key}#0`,
    ordinal: 0,
    text: context,
    start: 0,
    end: context.length,
    page: null,
    headings: [],
    tokenCount: 0,
    metadata: {},
  };
}

/** Writes each paragraph as a document; returns each paragraph's passage, by key. */
function ingestParagraphs(store: Store, paragraphs: SquadSet['paragraphs']): Map<string, Passage> {
  store.collections.ensure({ name: COLLECTION });
  const passages = new Map<string, Passage>();
  for (const p of paragraphs) {
    const chunk = chunkOf(p.key, p.context);
    const doc = {
      id: p.key,
      collectionId: COLLECTION,
      source: p.key,
      mime: 'text/plain',
      title: p.title,
      language: 'en',
      contentHash: p.key,
      text: p.context,
      pages: [],
      metadata: {},
      tags: [],
      bytes: p.context.length,
    };
    const written = store.documents.write(doc, [chunk]);
    passages.set(p.key, {
      chunkId: chunk.id,
      rowid: written.chunkRowids[0] as number,
      documentId: p.key,
      source: p.key,
      title: p.title,
      page: null,
      headings: [],
      start: 0,
      end: p.context.length,
      text: p.context,
      contextStart: 0,
      contextEnd: p.context.length,
      scores: {},
      metadata: {},
    });
  }
  return passages;
}

function oracleSearch(passages: Map<string, Passage>, byQuestion: Map<string, string>): SearchFn {
  return async (request) => {
    const key = byQuestion.get(request.query);
    const passage = key ? passages.get(key) : undefined;
    return {
      passages: passage ? [passage] : [],
      ran: { bm25: false, dense: false, fusion: null, rerank: false },
      notes: ['oracle'],
      timings: {},
    };
  };
}

export async function runQaEval(deps: QaEvalDeps, options: QaEvalOptions): Promise<QaEvalReport> {
  const started = performance.now();
  const set = loadSquad(options.file);
  const questions = sampleEvenly(set.questions, options.limit ?? 500);
  const retrieval = options.retrieval ?? 'oracle';
  const store = deps.store;
  const wanted = new Set(questions.map((q) => `${q.title}_${q.paragraph}`));
  const paragraphs = retrieval === 'oracle' ? set.paragraphs.filter((p) => wanted.has(p.key)) : set.paragraphs;
  const passages = ingestParagraphs(store, paragraphs);
  const search =
    retrieval === 'oracle' ? oracleSearch(passages, questionKeys(questions, deps.config)) : requireSearch(deps, store);
  const config = { ...deps.config, answer: { ...deps.config.answer, retrieve: 'always' as const } };
  const results: { q: SquadQuestion; result: AnswerResult }[] = [];
  for (const q of questions) {
    const request = {
      collection: COLLECTION,
      question: q.question,
      persist: false,
      ...(options.reflect === false ? { reflect: false } : {}),
    };
    results.push({
      q,
      result: await answer({ ...sqliteDeps(store), config, generator: deps.generator, search, logger: deps.logger }, request),
    });
    options.onProgress?.(results.length, questions.length);
  }
  const curve = deps.generator ? null : extractiveCurve(store, config, results);
  const ranks = deps.generator || !options.ranks ? null : goldSentenceRanks(store, results);
  const seconds = (performance.now() - started) / 1000;
  return { ...summarize(options.file, set.version, deps, retrieval, results, seconds), curve, ranks };
}

/**
 * Each question's extractive answer and confidence with no threshold, from the passages its run
 * kept (what the extractive stage saw), so one pass gives every threshold's abstention rates.
 */
function extractiveCurve(store: Store, config: Config, results: { q: SquadQuestion; result: AnswerResult }[]): CurvePoint[] {
  const docText = documentTextFrom((id) => store.documents.get(id));
  const settings = { minOverlap: 0, sentences: config.answer.extractiveSentences };
  const scored = results.map(({ q, result }) => {
    const kept = result.passages.filter((p) => p.kept);
    const extracted = kept.length > 0 ? extractAnswer(result.standaloneQuestion, kept, docText, settings) : null;
    const gold = extracted !== null && goldInAnswer(stripMarkers(extracted.answer), q.answers);
    return { answerable: q.answers.length > 0, score: extracted ? extracted.score : -1, gold };
  });
  const answerable = scored.filter((s) => s.answerable);
  const unanswerable = scored.filter((s) => !s.answerable);
  return CURVE.map((threshold) => {
    const abstains = (s: { score: number }) => s.score < threshold || s.score < 0;
    return {
      threshold,
      answerableAbstained: ratio(answerable.filter(abstains).length, answerable.length),
      unanswerableAbstained: ratio(unanswerable.filter(abstains).length, unanswerable.length),
      goldInAnswer: ratio(answerable.filter((s) => s.gold && !abstains(s)).length, answerable.length),
    };
  });
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000;
}

/** The pipeline trims and may cut the question; the oracle looks it up the same way. */
function questionKeys(questions: SquadQuestion[], config: Config): Map<string, string> {
  return new Map(questions.map((q) => [q.question.trim().slice(0, config.answer.maxQuestionChars), `${q.title}_${q.paragraph}`]));
}

function requireSearch(deps: QaEvalDeps, store: Store): SearchFn {
  if (!deps.createSearch) throw new Error('search retrieval needs deps.createSearch');
  return deps.createSearch(store);
}

export function predictionOf(result: AnswerResult): string {
  return result.decision === 'abstained' ? '' : stripMarkers(result.answer);
}

function summarize(
  file: string,
  version: string,
  deps: QaEvalDeps,
  retrieval: 'oracle' | 'search',
  results: { q: SquadQuestion; result: AnswerResult }[],
  seconds: number,
): Omit<QaEvalReport, 'curve' | 'ranks'> {
  let em = 0;
  let chars = 0;
  let f1 = 0;
  const has = { count: 0, abstained: 0, em: 0, f1: 0, gold: 0 };
  const no = { count: 0, abstained: 0 };
  const decisions: Record<string, number> = {};
  for (const { q, result } of results) {
    const prediction = predictionOf(result);
    const abstained = result.decision === 'abstained';
    const key = abstained ? `abstained:${result.abstainReason}` : result.decision;
    decisions[key] = (decisions[key] ?? 0) + 1;
    const e = bestOver(exactMatch, prediction, q.answers);
    const f = bestOver(f1Score, prediction, q.answers);
    em += e;
    f1 += f;
    if (!abstained) chars += prediction.length;
    if (q.answers.length === 0) {
      no.count++;
      if (abstained) no.abstained++;
      continue;
    }
    has.count++;
    has.em += e;
    has.f1 += f;
    if (abstained) has.abstained++;
    if (goldInAnswer(prediction, q.answers)) has.gold++;
  }
  const n = results.length;
  const answered = n - has.abstained - no.abstained;
  return {
    file,
    version,
    mode: deps.generator ? 'generative' : 'extractive',
    generator: deps.generator?.id ?? 'extractive',
    retrieval,
    questions: n,
    exactMatch: ratio(em, n),
    f1: ratio(f1, n),
    answerable: {
      count: has.count,
      abstained: has.abstained,
      abstentionRate: ratio(has.abstained, has.count),
      exactMatch: ratio(has.em, has.count),
      f1: ratio(has.f1, has.count),
      goldInAnswer: ratio(has.gold, has.count),
      goldInAnswered: ratio(has.gold, has.count - has.abstained),
    },
    unanswerable: { count: no.count, abstained: no.abstained, abstentionRate: ratio(no.abstained, no.count) },
    decisions,
    meanAnswerChars: answered === 0 ? 0 : Math.round(chars / answered),
    seconds: Math.round(seconds * 100) / 100,
    questionsPerSecond: Math.round((n / Math.max(seconds, 1e-6)) * 10) / 10,
  };
}
