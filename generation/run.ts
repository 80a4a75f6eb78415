import type { Collection, Config, Passage } from '../core/index.ts';
import type { ChatTurn } from '../models/types.ts';
import { type Citer, createCiter, createDocumentTexts, type DocumentText, type DocumentTexts } from './citations.ts';
import { ABSTAIN_TEXT } from './prompts.ts';
import type { ModelCall } from './reflect.ts';
import { createReleaser, type Releaser } from './release.ts';
import type { AbstainReason, AnswerDeps, AnswerEvent, AnswerResult, AskRequest, RetrieveMode, StageName } from './types.ts';

/** The state one answer carries through its stages. */
export interface Run {
  deps: AnswerDeps;
  config: Config['answer'];
  collection: Collection;
  request: AskRequest;
  history: ChatTurn[];
  reflect: boolean;
  retrieveMode: RetrieveMode;
  /** Set when a generator is available; every model call goes through it. */
  call: ModelCall | null;
  docText: DocumentText;
  /** Reads ahead the texts docText gives: each retrieved passage's document. */
  loadTexts: DocumentTexts['load'];
  /** Citations for released or final sentences, spans ranked by the deps' span scorer when there is one. */
  cite: Citer;
  result: AnswerResult;
  /** Every passage retrieved, over all attempts, in rank order: the closest ones shown on abstention. */
  retrieved: Passage[];
  emit: (event: AnswerEvent) => void;
  /** The only way answer text reaches the client (see release.ts). */
  release: Releaser;
  /** Set once a draft token was sent (answer.stream "draft"): the final answer then comes as `final` only. */
  draftSent: boolean;
}

export function createResult(question: string, standalone: string, mode: RetrieveMode, chatId: string | null): AnswerResult {
  return {
    question,
    standaloneQuestion: standalone,
    answer: '',
    decision: 'answered',
    abstainReason: null,
    mode: 'none',
    complete: true,
    error: null,
    citations: [],
    sentences: [],
    passages: [],
    closestPassages: [],
    isuse: null,
    score: null,
    retrieval: { mode, verdict: null, ran: false, queries: [], rewritten: false, notes: [] },
    timings: {},
    models: { generate: 'extractive', grade: null, condense: null, retrieval: null },
    chatId,
    notes: [],
  };
}

export function createRun(
  deps: AnswerDeps,
  init: Omit<Run, 'deps' | 'config' | 'call' | 'docText' | 'loadTexts' | 'cite' | 'retrieved' | 'emit' | 'release' | 'draftSent'>,
  onEvent?: (event: AnswerEvent) => void,
): Run {
  const config = deps.config.answer;
  const call = deps.generator ? { generator: deps.generator, timeoutMs: config.timeoutMs, signal: init.request.signal } : null;
  const emit = (event: AnswerEvent) => {
    try {
      onEvent?.(event);
    } catch (error) {
      // A listener that throws (a closed socket) must not break the answer or the chat record.
      deps.logger.warn('answer event listener failed', { error: (error as Error).message });
    }
  };
  const texts = createDocumentTexts((id) => deps.store.documents.get(id));
  const docText = texts.text;
  const cite = createCiter(docText, deps.spanScorer ?? null);
  return {
    ...init,
    deps,
    config,
    call,
    docText,
    loadTexts: texts.load,
    cite,
    retrieved: [],
    emit,
    release: createReleaser(emit),
    draftSent: false,
  };
}

export async function timed<T>(run: Run, stage: StageName, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const elapsed = performance.now() - started;
    run.result.timings[stage] = round((run.result.timings[stage] ?? 0) + elapsed);
  }
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function reflection(run: Run, stage: StageName, verdict: unknown): void {
  run.emit({ type: 'reflection', stage, verdict });
}

/** Abstains: the fixed answer, the reason, and the passages that came closest. */
export function abstain(run: Run, reason: AbstainReason, answer = ABSTAIN_TEXT): void {
  const r = run.result;
  r.decision = 'abstained';
  r.abstainReason = reason;
  r.answer = answer;
  r.citations = [];
  r.closestPassages = run.retrieved.slice(0, run.config.closestPassages);
  reflection(run, 'gate', { decision: 'abstained', reason });
}
