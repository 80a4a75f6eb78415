import type { Passage } from '../core/index.ts';
import type { ChatTurn, Generator } from '../models/types.ts';
import { gradeJson, readVerdictList, verdictListSchema, verdictTokens } from './grader.ts';
import {
  condensePrompt,
  isrelPrompt,
  issupPrompt,
  isusePrompt,
  type NumberedPassage,
  type NumberedSentence,
  retrieveDecisionPrompt,
  rewritePrompt,
} from './prompts.ts';
import { callSignal, raceSignal, toGeneratorError } from './signals.ts';
import type { GradedPassage, Support } from './types.ts';

/** The Self-RAG reflection calls and the small rewriting calls, one plain function each. */

export interface ModelCall {
  generator: Generator;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

async function guarded<T>(call: ModelCall, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = callSignal(call.signal, call.timeoutMs);
  try {
    return await raceSignal(run(signal), signal);
  } catch (error) {
    throw toGeneratorError(error, signal);
  }
}

async function completeText(call: ModelCall, messages: ChatTurn[], maxTokens: number): Promise<string> {
  const completion = await guarded(call, (signal) => call.generator.complete({ messages, maxTokens, temperature: 0, signal }));
  return firstLine(completion.text);
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.replace(/^["'“]+|["'”]+$/g, '').trim();
}

/** Retrieve? — whether the question needs the documents (auto mode). */
export async function decideRetrieval(call: ModelCall, question: string): Promise<boolean> {
  return guarded(call, (signal) =>
    gradeJson(call.generator, {
      stage: 'retrieve_decision',
      messages: retrieveDecisionPrompt(question),
      schema: {
        type: 'object',
        properties: { retrieve: { type: 'boolean' } },
        required: ['retrieve'],
        additionalProperties: false,
      },
      validate: (value) => {
        const retrieve = (value as { retrieve?: unknown } | null)?.retrieve;
        return typeof retrieve === 'boolean' ? retrieve : null;
      },
      maxTokens: 48,
      signal,
    }),
  );
}

/** A follow-up question rewritten to stand alone; the original when the model returns nothing. */
export async function condenseQuestion(call: ModelCall, history: ChatTurn[], question: string): Promise<string> {
  const condensed = await completeText(call, condensePrompt(history, question), 96);
  return condensed || question;
}

/** Corrective retrieval: a better query after a search found nothing relevant. */
export async function rewriteQuery(call: ModelCall, query: string): Promise<string> {
  const rewritten = await completeText(call, rewritePrompt(query), 64);
  return rewritten || query;
}

const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

/** ISREL for all passages in one schema-constrained call. */
export async function gradeRelevance(call: ModelCall, question: string, passages: NumberedPassage[]): Promise<boolean[]> {
  const n = passages.length;
  return guarded(call, (signal) =>
    gradeJson(call.generator, {
      stage: 'isrel',
      messages: isrelPrompt(question, passages),
      schema: verdictListSchema('relevant', { type: 'boolean' }, n),
      validate: (value) => readVerdictList(value, 'relevant', isBoolean, n),
      maxTokens: verdictTokens(n),
      signal,
    }),
  );
}

const SUPPORT = ['full', 'partial', 'none'] as const;
const isSupport = (v: unknown): v is Support => typeof v === 'string' && (SUPPORT as readonly string[]).includes(v);

/** ISSUP for all sentences in one schema-constrained call. */
export async function gradeSupport(
  call: ModelCall,
  question: string,
  passages: NumberedPassage[],
  answer: string,
  sentences: NumberedSentence[],
): Promise<Support[]> {
  const n = sentences.length;
  return guarded(call, (signal) =>
    gradeJson(call.generator, {
      stage: 'issup',
      messages: issupPrompt(question, passages, answer, sentences),
      schema: verdictListSchema('support', { enum: [...SUPPORT] }, n),
      validate: (value) => readVerdictList(value, 'support', isSupport, n),
      maxTokens: verdictTokens(n),
      signal,
    }),
  );
}

/** ISUSE: usefulness 1–5. */
export async function gradeUsefulness(
  call: ModelCall,
  question: string,
  passages: NumberedPassage[],
  answer: string,
): Promise<number> {
  return guarded(call, (signal) =>
    gradeJson(call.generator, {
      stage: 'isuse',
      messages: isusePrompt(question, passages, answer),
      schema: {
        type: 'object',
        properties: { usefulness: { enum: [1, 2, 3, 4, 5] } },
        required: ['usefulness'],
        additionalProperties: false,
      },
      validate: (value) => {
        const score = (value as { usefulness?: unknown } | null)?.usefulness;
        return typeof score === 'number' && Number.isInteger(score) && score >= 1 && score <= 5 ? score : null;
      },
      maxTokens: 48,
      signal,
    }),
  );
}

export interface RelevanceSettings {
  relevanceThreshold: number;
  rerankWeight: number;
}

/** Grader verdicts combined with rerank scores; with no verdicts (no grader) every passage is kept. */
export function combineRelevance(
  passages: Passage[],
  verdicts: boolean[] | null,
  settings: RelevanceSettings,
  firstMarker = 1,
): GradedPassage[] {
  return passages.map((passage, i) => {
    const rerank = typeof passage.scores.rerank === 'number' ? passage.scores.rerank : null;
    const relevant = verdicts ? (verdicts[i] ?? false) : null;
    if (relevant === null) return { marker: firstMarker + i, passage, relevant, rerank, score: rerank ?? 1, kept: true };
    const grade = relevant ? 1 : 0;
    const score = rerank === null ? grade : (1 - settings.rerankWeight) * grade + settings.rerankWeight * rerank;
    return { marker: firstMarker + i, passage, relevant, rerank, score, kept: score >= settings.relevanceThreshold };
  });
}
