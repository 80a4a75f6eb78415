import { CairnError, type Collection, type Config, toCairnError } from '../core/index.ts';
import type { ChatTurn } from '../models/types.ts';
import { markUngraded } from './gate.ts';
import { canOverlap, overlappedStage, ungradedStage } from './gated.ts';
import { releaseAnswer } from './release.ts';
import { abstain, createResult, createRun, type Run, round } from './run.ts';
import { throwIfAborted } from './signals.ts';
import { tableCellStage, tableRouteStage } from './sql/stage.ts';
import {
  citeStage,
  condenseStage,
  extractiveStage,
  gateStage,
  generateStage,
  isDecline,
  retrieveDecisionStage,
  retrieveStage,
  reviseStage,
  supportStage,
} from './stages.ts';
import { truncate } from './text.ts';
import type { AnswerDeps, AnswerEvent, AnswerResult, AskRequest, GradedPassage } from './types.ts';

/**
 * The answer pipeline: condense → retrieve? → retrieve → ISREL (→ rewrite → retrieve) → generate →
 * ISSUP → revise → ISUSE → gate → cite. Bad requests throw; anything that fails after the work has
 * started ends in an `error` event and a result marked incomplete, never a hang.
 */
export async function answer(
  deps: AnswerDeps,
  request: AskRequest,
  onEvent?: (event: AnswerEvent) => void,
): Promise<AnswerResult> {
  const started = performance.now();
  const run = await prepare(deps, request, onEvent);
  try {
    await runStages(run);
  } catch (error) {
    const failure = toCairnError(error);
    if (failure.code === 'GRADER_OUTPUT_INVALID') markUngraded(run, failure);
    else {
      run.result.complete = false;
      run.result.error = { code: failure.code, message: failure.message };
    }
  }
  run.result.timings.total = round(performance.now() - started);
  finishRelease(run);
  await persistTurn(run);
  if (run.result.error) run.emit({ type: 'error', error: run.result.error, result: run.result });
  else run.emit({ type: 'done', result: run.result });
  return run.result;
}

/**
 * The answer a client keeps is what was released. A failed answer keeps only what had passed the
 * gate before it failed; a finished one releases the rest sentence by sentence (or, after draft
 * tokens, sends it whole in `final`), so released tokens always concatenate to `final.answer`.
 */
function finishRelease(run: Run): void {
  const r = run.result;
  if (r.error) {
    r.answer = run.release.text;
    r.citations = run.release.citations;
    withholdUnshown(r);
    return;
  }
  if (run.release.text !== '' && !r.answer.startsWith(run.release.text)) keepReleased(run);
  if (run.draftSent) run.release.sendCitations(r.citations);
  else releaseAnswer(run.release, r.answer, r.sentences, r.citations);
  withholdUnshown(r);
  run.emit({ type: 'final', answer: r.answer, citations: r.citations });
}

/** Verdicts stay in the result, but the text of a sentence that was not released never leaves. */
function withholdUnshown(r: AnswerResult): void {
  r.sentences = r.sentences.map((s) => (s.removed || !r.answer.includes(s.text) ? { ...s, text: '' } : s));
}

/** A late verdict cannot take back released sentences: they stay the answer, and the result says so. */
function keepReleased(run: Run): void {
  const r = run.result;
  r.notes.push(
    `After part of the answer was shown, the gate ended in "${r.abstainReason ?? r.decision}"; the shown part stands.`,
  );
  r.answer = run.release.text;
  r.citations = run.release.citations;
  r.decision = 'revised';
  r.abstainReason = null;
}

async function prepare(deps: AnswerDeps, request: AskRequest, onEvent?: (event: AnswerEvent) => void): Promise<Run> {
  const question = typeof request.question === 'string' ? request.question.trim() : '';
  if (!question) throw new CairnError('VALIDATION', 'The question is empty', { field: 'question' });
  if (request.k !== undefined && !(Number.isInteger(request.k) && request.k > 0)) {
    throw new CairnError('VALIDATION', `k must be a positive integer, not ${request.k}`, { field: 'k' });
  }
  if (request.retrieve !== undefined && !['always', 'never', 'auto'].includes(request.retrieve)) {
    throw new CairnError('VALIDATION', `retrieve must be always, never or auto, not "${request.retrieve}"`, {
      field: 'retrieve',
    });
  }
  const collection = await deps.store.collections.require(request.collection);
  const config = deps.config.answer;
  const chatId = await resolveChat(deps, request, collection);
  const history = chatId && request.chatId ? await loadHistory(deps, chatId, config.historyTurns) : givenHistory(request, config);
  const standalone = truncate(question, config.maxQuestionChars);
  const own = answerDefaults(request, collection);
  const retrieveMode = request.retrieve ?? own?.retrieve ?? config.retrieve;
  const result = createResult(question, standalone, retrieveMode, chatId);
  if (standalone.length < question.length) {
    result.notes.push(`The question was cut to ${standalone.length} of ${question.length} characters (answer.maxQuestionChars).`);
  }
  const reflect = request.reflect ?? own?.reflect ?? config.reflect;
  const run = createRun(deps, { collection, request, history, reflect, retrieveMode, result }, onEvent);
  if (deps.generator && reflect) result.models.grade = deps.generator.id;
  if (!deps.generator)
    result.notes.push('No generator is available: the answer is extractive (sentences quoted from the documents).');
  else if (!reflect) result.notes.push('Reflection is off: the answer was not checked against its sources.');
  return run;
}

/** A collection's own answer settings apply to asks of it alone; several collections use config's. */
function answerDefaults(request: AskRequest, collection: Collection) {
  const many = (request as { collections?: string[] }).collections;
  return many && many.length > 1 ? undefined : collection.settings.answer;
}

async function resolveChat(deps: AnswerDeps, request: AskRequest, collection: Collection): Promise<string | null> {
  if (request.chatId) {
    const chat = await deps.store.chats.require(request.chatId);
    if (chat.collectionId !== collection.id) {
      throw new CairnError('VALIDATION', `Chat ${chat.id} belongs to collection "${chat.collectionId}"`, { chatId: chat.id });
    }
    return chat.id;
  }
  if (request.persist === false) return null;
  return (await deps.store.chats.create({ collectionId: collection.id })).id;
}

/** The caller's own earlier turns, cut to the configured number like a stored chat's. */
function givenHistory(request: AskRequest, config: Config['answer']): ChatTurn[] {
  if (config.historyTurns === 0 || !request.history) return [];
  return request.history.filter((t) => t.role !== 'system').slice(-config.historyTurns);
}

async function loadHistory(deps: AnswerDeps, chatId: string, turns: number): Promise<ChatTurn[]> {
  if (turns === 0) return [];
  return (await deps.store.chats.messages(chatId))
    .filter((m) => m.role !== 'system')
    .slice(-turns)
    .map((m) => ({ role: m.role, content: m.content }));
}

async function persistTurn(run: Run): Promise<void> {
  const chatId = run.result.chatId;
  if (!chatId || run.request.persist === false) return;
  try {
    await run.deps.store.chats.addMessage({ chatId, role: 'user', content: run.result.question, result: null });
    const result = JSON.parse(JSON.stringify(run.result)) as Record<string, unknown>;
    await nameCitedCollections(run, result);
    await run.deps.store.chats.addMessage({ chatId, role: 'assistant', content: run.result.answer, result });
  } catch (error) {
    run.deps.logger.warn('could not store the chat turn', { chatId, error: (error as Error).message });
  }
}

/**
 * An answer over several collections stores each citation's `collection`, as its events carry it,
 * so a reopened chat finds every source without trying each collection.
 */
async function nameCitedCollections(run: Run, result: Record<string, unknown>): Promise<void> {
  const many = (run.request as { collections?: string[] }).collections;
  if (!many || many.length < 2 || !Array.isArray(result.citations)) return;
  for (const citation of result.citations as { documentId: string; collection?: string }[]) {
    const owner = (await run.deps.store.documents.get(citation.documentId))?.collectionId;
    if (owner && citation.collection === undefined) citation.collection = owner;
  }
}

async function runStages(run: Run): Promise<void> {
  if (run.retrieveMode !== 'never' && (await run.deps.store.documents.count(run.collection.id)) === 0) {
    abstain(
      run,
      'empty_collection',
      `The collection "${run.collection.name}" has no documents yet; add some with \`cairn ingest\`.`,
    );
    return;
  }
  await condenseStage(run);
  throwIfAborted(run.request.signal);
  const retrieve = await retrieveDecisionStage(run);
  if (!retrieve) return answerWithoutDocuments(run);
  const kept = await tableRouteStage(run, () => retrieveStage(run));
  if (kept.length === 0) return abstain(run, 'no_relevant_passages');
  if (!run.call && tableCellStage(run, kept)) return;
  if (!run.call) return extractiveStage(run, kept);
  if (!run.reflect) return ungradedStage(run, kept);
  if (canOverlap(run)) return overlappedStage(run, kept);
  const draft = await generateStage(run, kept);
  if (isDecline(draft.text)) return abstain(run, 'model_declined');
  await reflectStages(run, draft, kept);
}

async function reflectStages(
  run: Run,
  draft: { text: string; meanLogprob: number | null },
  kept: GradedPassage[],
): Promise<void> {
  const sentences = await supportStage(run, draft.text, kept);
  const survived = await reviseStage(run, draft.text, kept, sentences);
  if (!survived) {
    run.result.sentences = sentences;
    return abstain(run, 'unsupported');
  }
  await gateStage(run, kept, draft.meanLogprob);
  await citeStage(run);
}

async function answerWithoutDocuments(run: Run): Promise<void> {
  run.result.notes.push('The question was answered without the documents (retrieval was skipped).');
  if (!run.call) {
    abstain(run, 'no_match', 'Without a generator, Cairn can only answer from the documents, and retrieval was turned off.');
    return;
  }
  await ungradedStage(run, null);
}
