import { toCairnError } from '../core/index.ts';
import { isrelScore, issupScore, likelihoodNote, scoreAnswer } from './gate.ts';
import type { NumberedPassage } from './prompts.ts';
import { gradeSupport, gradeUsefulness } from './reflect.ts';
import { createSentenceAssembler, type DraftSentence } from './release.ts';
import { abstain, type Run, reflection, timed } from './run.ts';
import { citeStage, gateStage, generateStage, isDecline, reviseStage } from './stages.ts';
import { extractMarkers } from './text.ts';
import type { GateScore, GradedPassage, SentenceVerdict, Support } from './types.ts';

/**
 * Gated streaming with overlap: each sentence is graded (ISSUP) as soon as it is complete, while the
 * next one is generated on the backend's second sequence, and released the moment it is kept
 * (sentences completed while a grader call ran are graded together in the next call).
 *
 * Released text is never retracted, so the whole-answer parts of the gate are settled before the
 * first release: ISUSE is judged once, on the first supported sentence, and the Self-RAG score with
 * it must pass the threshold to open the gate. After that each kept sentence is released only if the
 * score with it still passes; an unsupported one is dropped unseen. When the gate never opened, the
 * finished draft goes through the usual revise → ISUSE → threshold path and is released afterwards,
 * so regeneration and abstention stay possible because nothing has been shown yet.
 */
interface Gated {
  run: Run;
  passages: GradedPassage[];
  numbered: NumberedPassage[];
  known: Set<number>;
  /** Every graded sentence in draft order: offsets into the draft until released, then into the answer. */
  verdicts: SentenceVerdict[];
  released: SentenceVerdict[];
  usefulness: number | null;
  score: GateScore | null;
  opened: boolean;
  triedOpen: boolean;
  declined: boolean;
  logprob: { sum: number; count: number };
  stopped: boolean;
}

/** True when the backend serves a grader call while a stream runs (node-llama-cpp sequences ≥ 2, OpenAI-compatible servers). */
export function canOverlap(run: Run): boolean {
  return run.config.stream === 'gated' && (run.call?.generator.parallel ?? 1) >= 2;
}

export async function overlappedStage(run: Run, passages: GradedPassage[]): Promise<void> {
  const state: Gated = {
    run,
    passages,
    numbered: passages.map((p) => ({ marker: p.marker, passage: p.passage })),
    known: new Set(passages.map((p) => p.marker)),
    verdicts: [],
    released: [],
    usefulness: null,
    score: null,
    opened: false,
    triedOpen: false,
    declined: false,
    logprob: { sum: 0, count: 0 },
    stopped: false,
  };
  const assembler = createSentenceAssembler();
  const queue = createGradingQueue((batch) => gradeBatch(state, batch, assembler.draft));
  try {
    await generateStage(run, passages, (text, logprob, logprobTokens) => {
      if (logprob !== undefined) {
        // A chunk's logprob sums over the tokens it covers: the mean is per token, as generate.ts's.
        state.logprob.sum += logprob;
        state.logprob.count += logprobTokens ?? 1;
      }
      queue.add(assembler.push(text));
    });
    queue.add(assembler.end());
    await queue.drain();
  } finally {
    state.stopped = true;
  }
  await settle(state, assembler.draft);
}

/**
 * Grades sentences in order: one call for every sentence completed while the previous call ran, so
 * a grader that keeps up sees one sentence at a time and one that lags catches up in a single call.
 */
function createGradingQueue(grade: (batch: DraftSentence[]) => Promise<void>) {
  const pending: DraftSentence[] = [];
  let running: Promise<void> | null = null;
  let failure: { error: unknown } | null = null;
  const work = async () => {
    try {
      while (pending.length > 0) await grade(pending.splice(0));
    } catch (error) {
      failure = { error };
      pending.length = 0;
    } finally {
      running = null;
    }
  };
  return {
    add(sentences: DraftSentence[]): void {
      if (failure || sentences.length === 0) return;
      pending.push(...sentences);
      running ??= work();
    },
    async drain(): Promise<void> {
      while (running) await running;
      if (failure) throw failure.error;
    },
  };
}

function meanLogprob(state: Gated): number | null {
  return state.logprob.count === 0 ? null : state.logprob.sum / state.logprob.count;
}

async function gradeBatch(state: Gated, batch: DraftSentence[], draft: string): Promise<void> {
  const { run } = state;
  if (state.stopped) return;
  const graded: { sentence: DraftSentence; verdict: SentenceVerdict }[] = [];
  for (const sentence of batch) {
    const markers = extractMarkers(sentence.text).filter((m) => state.known.has(m));
    const verdict: SentenceVerdict = { ...toVerdict(sentence), markers };
    state.verdicts.push(verdict);
    if (!isDecline(sentence.text)) graded.push({ sentence, verdict });
    else {
      state.declined = true;
      verdict.support = 'none';
    }
  }
  const last = batch.at(-1);
  if (graded.length === 0 || !last) return;
  const supports = await supportOf(
    state,
    graded.map((g) => g.verdict),
    draft.slice(0, last.end),
  );
  if (supports === null) {
    for (const g of graded) g.verdict.removed = true;
    return;
  }
  for (const [i, g] of graded.entries()) g.verdict.support = supports[i] ?? 'none';
  reflection(
    run,
    'issup',
    graded.map((g) => ({ markers: g.verdict.markers, support: g.verdict.support })),
  );
  for (const { sentence, verdict } of graded) {
    if (verdict.support === 'none' || state.stopped) continue;
    if (!state.triedOpen) await tryOpen(state, verdict, sentence.separator);
    else if (state.opened) await releaseIfScoreHolds(state, verdict, sentence.separator);
  }
}

/**
 * ISSUP on the sentences, the answer so far above them. Before anything is shown a grader failure
 * ends the answer (ungraded, withheld whole); after, released text cannot be taken back, so the
 * sentences it could not judge are withheld unchecked (null: support stays null, never 'none' as if
 * judged) and the next sentences are still graded.
 */
async function supportOf(state: Gated, sentences: SentenceVerdict[], answerSoFar: string): Promise<Support[] | null> {
  const { run } = state;
  const call = run.call as NonNullable<Run['call']>;
  const q = run.result.standaloneQuestion;
  try {
    return await timed(run, 'issup', () => gradeSupport(call, q, state.numbered, answerSoFar, sentences));
  } catch (error) {
    if (!state.opened || toCairnError(error).code !== 'GRADER_OUTPUT_INVALID') throw error;
    const count = sentences.length === 1 ? '1 sentence' : `${sentences.length} sentences`;
    run.result.notes.push(
      `The ISSUP grader returned invalid output twice after part of the answer was shown: ${count} withheld unchecked; the shown part stands.`,
    );
    return null;
  }
}

function toVerdict(s: DraftSentence): SentenceVerdict {
  return { text: s.text, start: s.start, end: s.end, markers: [], support: null, removed: false };
}

function scoreWith(state: Gated, sentences: SentenceVerdict[], usefulness: number): GateScore {
  const r = state.run.result;
  const config = state.run.config;
  return scoreAnswer(
    { isrel: isrelScore(r.passages), issup: issupScore(sentences), usefulness, meanLogprob: meanLogprob(state) },
    { threshold: config.threshold, weights: config.weights },
  );
}

/** ISUSE on the first supported sentence: the gate opens when the whole score passes with it. */
async function tryOpen(state: Gated, verdict: SentenceVerdict, separator: string): Promise<void> {
  const { run } = state;
  const call = run.call as NonNullable<Run['call']>;
  state.triedOpen = true;
  const q = run.result.standaloneQuestion;
  const usefulness = await timed(run, 'isuse', () => gradeUsefulness(call, q, state.numbered, verdict.text));
  reflection(run, 'isuse', { usefulness, on: 'first sentence' });
  const score = scoreWith(state, [verdict], usefulness);
  if (state.stopped || score.total < score.threshold) {
    reflection(run, 'gate', { decision: 'held', score });
    return;
  }
  state.opened = true;
  state.usefulness = usefulness;
  state.score = score;
  await release(state, verdict, separator);
}

async function releaseIfScoreHolds(state: Gated, verdict: SentenceVerdict, separator: string): Promise<void> {
  const score = scoreWith(state, [...state.released, verdict], state.usefulness as number);
  if (score.total < score.threshold) {
    verdict.removed = true;
    return;
  }
  state.score = score;
  await release(state, verdict, separator);
}

async function release(state: Gated, verdict: SentenceVerdict, separator: string): Promise<void> {
  const { run } = state;
  // The citation first (the reranker may rank its span): the offsets below are taken after it.
  const citations = await run.cite([verdict], run.result.passages);
  const sep = run.release.text === '' ? '' : separator || ' ';
  const start = run.release.text.length + sep.length;
  const released = { ...verdict, start, end: start + verdict.text.length };
  state.verdicts[state.verdicts.indexOf(verdict)] = released;
  state.released.push(released);
  run.release.release(sep + verdict.text, citations);
}

/** After the draft: report what was released, or take the usual path when nothing was. */
async function settle(state: Gated, draft: string): Promise<void> {
  const { run } = state;
  const r = run.result;
  for (const v of state.verdicts) if (v.support === 'none') v.removed = true;
  if (state.opened) {
    r.answer = run.release.text;
    r.sentences = state.verdicts;
    r.isuse = state.usefulness;
    r.score = state.score;
    r.decision = state.verdicts.some((v) => v.removed) ? 'revised' : 'answered';
    const note = state.score && likelihoodNote(state.score);
    if (note) r.notes.push(note);
    reflection(run, 'gate', { decision: r.decision, score: r.score });
    await citeStage(run);
    return;
  }
  const graded = rebase(state.verdicts, draft);
  if (!graded.some((v) => !v.removed)) {
    r.sentences = graded;
    return abstain(run, state.declined && graded.length === 1 ? 'model_declined' : 'unsupported');
  }
  const held = graded.map((v) => ({ ...v, removed: false }));
  if (!(await reviseStage(run, draft.trim(), state.passages, held))) {
    r.sentences = held;
    return abstain(run, 'unsupported');
  }
  await gateStage(run, state.passages, meanLogprob(state));
  await citeStage(run);
}

/** Offsets into the trimmed draft, as the batch path's sentences have. */
function rebase(verdicts: SentenceVerdict[], draft: string): SentenceVerdict[] {
  const lead = draft.length - draft.trimStart().length;
  return verdicts.map((v) => ({ ...v, start: v.start - lead, end: v.end - lead }));
}

/**
 * Without reflection (asked for) or without passages nothing grades the draft: its sentences are
 * released as they complete (answer.stream "gated") and are the answer; a decline is never shown.
 */
export async function ungradedStage(run: Run, passages: GradedPassage[] | null): Promise<void> {
  const r = run.result;
  const known = new Set((passages ?? []).map((p) => p.marker));
  const assembler = createSentenceAssembler();
  const kept: SentenceVerdict[] = [];
  let text = '';
  // Tokens arrive synchronously; a citation may wait on the reranker, so releases queue in order.
  let releases = Promise.resolve();
  const take = (sentences: DraftSentence[]) => {
    for (const s of sentences) {
      if (isDecline(s.text)) continue;
      const sep = text === '' ? '' : s.separator || ' ';
      const verdict = {
        ...toVerdict(s),
        start: text.length + sep.length,
        markers: extractMarkers(s.text).filter((m) => known.has(m)),
      };
      verdict.end = verdict.start + s.text.length;
      text += sep + s.text;
      kept.push(verdict);
      if (run.config.stream !== 'gated') continue;
      const shown = sep + s.text;
      releases = releases.then(async () => run.release.release(shown, passages ? await run.cite([verdict], r.passages) : []));
    }
  };
  try {
    await generateStage(run, passages, (token) => take(assembler.push(token)));
    take(assembler.end());
  } finally {
    // A failed stream keeps what was released: every queued release lands before the answer ends.
    await releases;
  }
  if (text === '' && isDecline(assembler.draft)) return abstain(run, 'model_declined');
  r.answer = text;
  r.sentences = kept;
  if (passages) await citeStage(run);
}
