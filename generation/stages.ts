import type { Passage } from '../core/index.ts';
import { condenseWithoutGenerator } from './condense.ts';
import { extractAnswer } from './extractive.ts';
import {
  isrelScore,
  issupScore,
  likelihoodNote,
  passesGate,
  planRevision,
  removeUnsupported,
  scoreAnswer,
  supportingMarkers,
} from './gate.ts';
import { streamAnswer } from './generate.ts';
import { ABSTAIN_TEXT, answerPrompt, directPrompt, type NumberedPassage } from './prompts.ts';
import {
  combineRelevance,
  condenseQuestion,
  decideRetrieval,
  gradeRelevance,
  gradeSupport,
  gradeUsefulness,
  rewriteQuery,
} from './reflect.ts';
import { abstain, type Run, reflection, timed } from './run.ts';
import { throwIfAborted } from './signals.ts';
import { extractMarkers, splitSentences } from './text.ts';
import type { GradedPassage, SentenceVerdict } from './types.ts';

/** The pipeline's stages, in order; each reads and writes the run's result. */

export async function condenseStage(run: Run): Promise<void> {
  const r = run.result;
  if (run.history.length === 0) return;
  if (!run.call) return condenseWithoutGenerator(run.history, r);
  const call = run.call;
  r.standaloneQuestion = await timed(run, 'condense', () => condenseQuestion(call, run.history, r.standaloneQuestion));
  r.models.condense = call.generator.id;
  reflection(run, 'condense', { question: r.standaloneQuestion });
}

export async function retrieveDecisionStage(run: Run): Promise<boolean> {
  if (run.retrieveMode !== 'auto') return run.retrieveMode === 'always';
  if (!run.call) return true;
  const call = run.call;
  const retrieve = await timed(run, 'retrieve_decision', () => decideRetrieval(call, run.result.standaloneQuestion));
  run.result.retrieval.verdict = retrieve;
  reflection(run, 'retrieve_decision', { retrieve });
  return retrieve;
}

/**
 * A single collection's own search k; over several collections k is the request's or config's,
 * while each collection's mode and rerank still apply inside its own search.
 */
function collectionDefaults(run: Run) {
  const many = (run.request as { collections?: string[] }).collections;
  return many && many.length > 1 ? undefined : run.collection.settings.retrieval;
}

async function searchOnce(run: Run, query: string, attempt: number): Promise<Passage[]> {
  throwIfAborted(run.request.signal);
  const found = await timed(run, 'retrieve', () =>
    run.deps.search({
      collection: run.collection.id,
      query,
      k: run.request.k ?? collectionDefaults(run)?.k ?? run.deps.config.retrieval.k,
      ...(run.request.filter !== undefined ? { filter: run.request.filter } : {}),
    }),
  );
  const r = run.result;
  r.retrieval.ran = true;
  r.retrieval.queries.push(query);
  r.retrieval.notes.push(...found.notes);
  r.models.retrieval = found.ran;
  if (found.effective) r.retrieval.search = found.effective;
  run.retrieved.push(...found.passages);
  await run.loadTexts(found.passages.map((p) => p.documentId));
  run.emit({ type: 'retrieved', query, attempt, passages: found.passages });
  return found.passages;
}

async function gradeAttempt(run: Run, passages: Passage[], firstMarker: number): Promise<GradedPassage[]> {
  const settings = { relevanceThreshold: run.config.relevanceThreshold, rerankWeight: run.config.rerankWeight };
  if (!run.call || !run.reflect || passages.length === 0) return combineRelevance(passages, null, settings, firstMarker);
  const call = run.call;
  const numbered = passages.map((passage, i) => ({ marker: firstMarker + i, passage }));
  const verdicts = await timed(run, 'isrel', () => gradeRelevance(call, run.result.standaloneQuestion, numbered));
  const graded = combineRelevance(passages, verdicts, settings, firstMarker);
  reflection(
    run,
    'isrel',
    graded.map((g) => ({ marker: g.marker, relevant: g.relevant, score: g.score, kept: g.kept })),
  );
  return graded;
}

/** Retrieve, grade, and on no relevant passage rewrite the query once and try again. Returns the kept passages. */
export async function retrieveStage(run: Run): Promise<GradedPassage[]> {
  const r = run.result;
  const first = await gradeAttempt(run, await searchOnce(run, r.standaloneQuestion, 1), 1);
  r.passages.push(...first);
  let kept = first.filter((p) => p.kept);
  if (kept.length > 0 || !run.call || !run.reflect) return kept;
  const call = run.call;
  const query = await timed(run, 'rewrite', () => rewriteQuery(call, r.standaloneQuestion));
  r.retrieval.rewritten = true;
  reflection(run, 'rewrite', { query });
  const second = await gradeAttempt(run, await searchOnce(run, query, 2), first.length + 1);
  r.passages.push(...second);
  kept = second.filter((p) => p.kept);
  return kept;
}

export function extractiveStage(run: Run, passages: GradedPassage[]): void {
  const r = run.result;
  r.mode = 'extractive';
  const settings = { minOverlap: run.config.extractiveMinOverlap, sentences: run.config.extractiveSentences };
  const extracted = extractAnswer(r.standaloneQuestion, passages, run.docText, settings);
  if (!extracted) {
    abstain(run, 'no_match');
    return;
  }
  r.answer = extracted.answer;
  r.sentences = extracted.sentences;
  r.citations = extracted.citations;
}

/**
 * Generates one answer draft. The draft reaches the client only in answer.stream "draft", each token
 * marked as draft; otherwise `onToken` sees it and the gate decides what is released. A failed stream
 * throws (what was released before stays the answer).
 */
export async function generateStage(
  run: Run,
  passages: GradedPassage[] | null,
  onToken?: (text: string, logprob?: number, logprobTokens?: number) => void,
): Promise<{ text: string; meanLogprob: number | null }> {
  const call = run.call as NonNullable<Run['call']>;
  const q = run.result.standaloneQuestion;
  const messages = passages ? answerPrompt(q, passages.map(numbered)) : directPrompt(q);
  const outcome = await timed(run, 'generate', () =>
    streamAnswer(call.generator, messages, {
      maxTokens: run.config.maxTokens,
      temperature: run.config.temperature,
      timeoutMs: run.config.timeoutMs,
      signal: run.request.signal,
      onToken: (text, logprob, logprobTokens) => {
        if (run.config.stream === 'draft') {
          run.draftSent = true;
          run.emit({ type: 'token', text, draft: true });
        }
        onToken?.(text, logprob, logprobTokens);
      },
    }),
  );
  run.result.mode = 'generative';
  run.result.models.generate = call.generator.id;
  if (outcome.error) throw outcome.error;
  return { text: outcome.text.trim(), meanLogprob: outcome.meanLogprob };
}

function numbered(p: GradedPassage): NumberedPassage {
  return { marker: p.marker, passage: p.passage };
}

export function isDecline(text: string): boolean {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z ]/g, '')
      .trim();
  return norm(text) === norm(ABSTAIN_TEXT);
}

export function toSentences(answer: string, known: Set<number>): SentenceVerdict[] {
  return splitSentences(answer).map((s) => ({
    text: s.text,
    start: s.start,
    end: s.end,
    markers: extractMarkers(s.text).filter((m) => known.has(m)),
    support: null,
    removed: false,
  }));
}

/** ISSUP on every sentence in one call. */
export async function supportStage(run: Run, answer: string, passages: GradedPassage[]): Promise<SentenceVerdict[]> {
  const call = run.call as NonNullable<Run['call']>;
  const sentences = toSentences(answer, new Set(passages.map((p) => p.marker)));
  if (sentences.length === 0) return sentences;
  const verdicts = await timed(run, 'issup', () =>
    gradeSupport(call, run.result.standaloneQuestion, passages.map(numbered), answer, sentences),
  );
  const graded = sentences.map((s, i) => ({ ...s, support: verdicts[i] ?? 'none' }));
  reflection(
    run,
    'issup',
    // No sentence text: a sentence ISSUP rejects must not reach the client in any event.
    graded.map((s) => ({ markers: s.markers, support: s.support })),
  );
  return graded;
}

/** Drops or regenerates unsupported sentences; returns false when the answer must abstain. */
export async function reviseStage(
  run: Run,
  draft: string,
  passages: GradedPassage[],
  sentences: SentenceVerdict[],
): Promise<boolean> {
  const r = run.result;
  let action = planRevision(sentences, run.config.revise, false);
  reflection(run, 'revise', { action });
  if (action === 'abstain') return false;
  if (action === 'keep') {
    r.answer = draft;
    r.sentences = sentences;
    return true;
  }
  let current = { answer: draft, sentences };
  if (action === 'regenerate') {
    const supporting = supportingMarkers(sentences);
    const subset = passages.filter((p) => supporting.has(p.marker));
    const regenerated = await generateStage(run, subset);
    const regraded = await supportStage(run, regenerated.text, subset);
    action = planRevision(regraded, run.config.revise, true);
    reflection(run, 'revise', { action, after: 'regenerate' });
    if (action === 'abstain') return false;
    current = { answer: regenerated.text, sentences: regraded };
  }
  const revised = removeUnsupported(current.answer, current.sentences);
  r.answer = revised.answer;
  r.sentences = revised.sentences;
  r.decision = 'revised';
  return true;
}

/** ISUSE on the final answer, then the Self-RAG score against the threshold. */
export async function gateStage(run: Run, passages: GradedPassage[], meanLogprob: number | null): Promise<void> {
  const r = run.result;
  const call = run.call as NonNullable<Run['call']>;
  const usefulness = await timed(run, 'isuse', () =>
    gradeUsefulness(call, r.standaloneQuestion, passages.map(numbered), r.answer),
  );
  r.isuse = usefulness;
  reflection(run, 'isuse', { usefulness });
  const started = performance.now();
  r.score = scoreAnswer(
    { isrel: isrelScore(r.passages), issup: issupScore(r.sentences), usefulness, meanLogprob },
    { threshold: run.config.threshold, weights: run.config.weights },
  );
  r.timings.gate = Math.round((performance.now() - started) * 100) / 100;
  const note = likelihoodNote(r.score);
  if (note) r.notes.push(note);
  if (!passesGate(r.score)) {
    abstain(run, 'below_threshold');
    return;
  }
  reflection(run, 'gate', { decision: r.decision, score: r.score });
}

export async function citeStage(run: Run): Promise<void> {
  const r = run.result;
  if (r.decision === 'abstained') return;
  r.citations = await run.cite(r.sentences, r.passages);
}
