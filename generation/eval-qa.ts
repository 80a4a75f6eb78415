import type { Config, Logger, Passage } from '../core/index.ts';
import type { Generator } from '../models/types.ts';
import type { Store } from '../store/index.ts';
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
  seconds: number;
  questionsPerSecond: number;
}

const COLLECTION = 'squad-eval';

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
      result: await answer({ store, config, generator: deps.generator, search, logger: deps.logger }, request),
    });
    options.onProgress?.(results.length, questions.length);
  }
  return summarize(options.file, set.version, deps, retrieval, results, (performance.now() - started) / 1000);
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
): QaEvalReport {
  let em = 0;
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
  const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);
  const n = results.length;
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
    seconds: Math.round(seconds * 100) / 100,
    questionsPerSecond: Math.round((n / Math.max(seconds, 1e-6)) * 10) / 10,
  };
}
