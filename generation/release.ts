import type { Citation } from '../core/index.ts';
import { splitSentences } from './text.ts';
import type { AnswerEvent, SentenceVerdict } from './types.ts';

/**
 * What reaches a client. In gated mode the answer text leaves the pipeline only through `release`,
 * one sentence (with its citations) at a time after the gate kept it, so released text is never
 * taken back: `text` only grows, and the final answer is exactly what was released.
 */
export interface Releaser {
  /** Everything released so far, concatenated. */
  readonly text: string;
  /** Every citation sent so far, in order. */
  readonly citations: Citation[];
  release(text: string, citations: Citation[]): void;
  /** Citations not yet sent (a citation is sent once, with the first sentence that cites it). */
  sendCitations(citations: Citation[]): void;
}

const citationKey = (c: Citation) => `${c.marker}|${c.chunkId}|${c.start}|${c.end}`;

export function createReleaser(emit: (event: AnswerEvent) => void): Releaser {
  let text = '';
  const sent = new Set<string>();
  const all: Citation[] = [];
  const sendCitations = (citations: Citation[]) => {
    for (const citation of citations) {
      const key = citationKey(citation);
      if (sent.has(key)) continue;
      sent.add(key);
      all.push(citation);
      emit({ type: 'citation', citation });
    }
  };
  return {
    get text() {
      return text;
    },
    get citations() {
      return [...all];
    },
    release(chunk, citations) {
      if (chunk === '') return;
      text += chunk;
      emit({ type: 'token', text: chunk });
      sendCitations(citations);
    },
    sendCitations,
  };
}

/**
 * Releases what is left of a finished answer, sentence by sentence: each piece runs from the end of
 * the previous sentence's text to the end of this sentence's trailing markers, so the pieces
 * concatenate to exactly `answer`. Each kept sentence brings the citations of its markers.
 */
export function releaseAnswer(releaser: Releaser, answer: string, sentences: SentenceVerdict[], citations: Citation[]): void {
  if (!answer.startsWith(releaser.text)) return;
  const kept = sentences.filter((s) => !s.removed && s.start >= releaser.text.length && s.end <= answer.length);
  const cuts = kept.slice(1).map((s) => boundaryBefore(answer, s.start));
  let from = releaser.text.length;
  for (const [i, sentence] of kept.entries()) {
    const to = cuts[i] ?? answer.length;
    if (to <= from) continue;
    const markers = new Set(sentence.markers);
    releaser.release(
      answer.slice(from, to),
      citations.filter((c) => markers.has(c.marker)),
    );
    from = to;
  }
  if (from < answer.length) releaser.release(answer.slice(from), []);
  releaser.sendCitations(citations);
}

/** The index where the whitespace before `start` begins: a separator travels with the sentence after it. */
function boundaryBefore(text: string, start: number): number {
  let i = start;
  while (i > 0 && /\s/.test(text[i - 1] as string)) i--;
  return i;
}

/** A completed sentence of a streamed draft, with offsets into the draft. */
export interface DraftSentence {
  text: string;
  start: number;
  end: number;
  /** The whitespace before it in the draft (empty for the first). */
  separator: string;
}

/**
 * Cuts a token stream into sentences as they complete. A sentence is complete once the next one
 * has begun with a word (not only a citation marker, which belongs to the sentence before), or
 * when the stream ends.
 */
export function createSentenceAssembler() {
  let draft = '';
  let done = 0;
  const take = (final: boolean): DraftSentence[] => {
    const spans = splitSentences(draft.slice(done)).map((s) => ({ ...s, start: s.start + done, end: s.end + done }));
    const last = spans.at(-1);
    const count = final ? spans.length : last && hasWords(last.text) ? spans.length - 1 : spans.length - 2;
    const complete = spans.slice(0, Math.max(0, count));
    const out = complete.map((s) => ({ ...s, separator: separatorBefore(draft, s.start) }));
    const tail = complete.at(-1);
    if (tail) done = tail.end;
    return out;
  };
  return {
    push(token: string): DraftSentence[] {
      draft += token;
      return take(false);
    },
    end(): DraftSentence[] {
      return take(true);
    },
    get draft() {
      return draft;
    },
  };
}

function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text.replace(/\[\d*\]?/g, ''));
}

function separatorBefore(text: string, start: number): string {
  const before = text.slice(0, start);
  const trimmed = before.trimEnd();
  return trimmed === '' ? '' : before.slice(trimmed.length);
}
