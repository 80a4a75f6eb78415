import type { Citation, Document, Passage } from '../core/index.ts';
import { readableText } from './sentence-lines.ts';
import { contentWords, overlapScore, type Span, splitSentences, stripMarkers } from './text.ts';
import type { GradedPassage, SentenceVerdict } from './types.ts';

/** Looks up a document's text; null when it is gone (then the passage's own text is used). */
export type DocumentText = (documentId: string) => string | null;

/** Document texts read ahead, a few at a time, so citing (which reads them synchronously) never waits. */
export interface DocumentTexts {
  text: DocumentText;
  /** Reads the texts of these documents that are not read yet; a document never read has no text (null). */
  load(ids: string[]): Promise<void>;
}

export function createDocumentTexts(get: (id: string) => Promise<Document | null>): DocumentTexts {
  const cache = new Map<string, string | null>();
  return {
    text: (id) => cache.get(id) ?? null,
    async load(ids) {
      const missing = [...new Set(ids)].filter((id) => !cache.has(id));
      const docs = await Promise.all(missing.map((id) => get(id)));
      for (const [i, id] of missing.entries()) cache.set(id, docs[i]?.text ?? null);
    },
  };
}

export function documentTextFrom(get: (id: string) => Document | null): DocumentText {
  const cache = new Map<string, string | null>();
  return (id) => {
    if (!cache.has(id)) cache.set(id, get(id)?.text ?? null);
    return cache.get(id) ?? null;
  };
}

/** The chunk's own text and where it starts in the document. */
function chunkRegion(passage: Passage, docText: DocumentText): { text: string; offset: number } {
  const full = docText(passage.documentId);
  if (full !== null && passage.end <= full.length) return { text: full.slice(passage.start, passage.end), offset: passage.start };
  // The passage text is the document's [contextStart, contextEnd) window.
  const from = Math.max(0, passage.start - passage.contextStart);
  const to = Math.max(from, passage.end - passage.contextStart);
  const text = passage.text.slice(from, to) || passage.text;
  return { text, offset: text === passage.text ? passage.contextStart : passage.start };
}

/**
 * How a citation's quote was chosen: the smallest run of the chunk's sentences that supports the
 * claim, ranked by the reranker or by word overlap; or the whole chunk, said as such, when no
 * sentence of it shares a word with the claim and no reranker could rank them.
 */
export type SpanBasis = 'reranker' | 'overlap' | 'chunk';

export interface SupportSpan extends Span {
  basis: SpanBasis;
}

/** A citation of `passage` quoting [start, end) of its document; the one place a Citation is built. */
export function citePassage(
  marker: number,
  passage: Passage,
  quote: { start: number; end: number; text: string },
  basis?: SpanBasis,
): Citation {
  return {
    marker,
    chunkId: passage.chunkId,
    documentId: passage.documentId,
    source: passage.source,
    title: passage.title,
    page: passage.page,
    start: quote.start,
    end: quote.end,
    quote: quote.text,
    ...(basis !== undefined ? { spanBasis: basis } : {}),
  };
}

/** Scores texts against a query, higher is better (a cross-encoder's `score`). */
export type SpanScorer = (query: string, texts: string[]) => Promise<number[]>;

/** Longest run of sentences a quote may span: a claim that needs more is cited by several quotes. */
const MAX_RUN = 3;
/** A shorter run within this of the best reranker score is preferred: the scores are noisy in the second decimal. */
const RERANK_MARGIN = 0.05;

interface SentenceRun extends Span {
  length: number;
}

/** Every run of 1..MAX_RUN consecutive sentences of the chunk, its text sliced exactly from the region. */
function candidateRuns(region: { text: string; offset: number }): SentenceRun[] {
  const sentences = splitSentences(region.text);
  const runs: SentenceRun[] = [];
  for (let i = 0; i < sentences.length; i++) {
    for (let n = 1; n <= MAX_RUN && i + n <= sentences.length; n++) {
      const first = sentences[i] as Span;
      const last = sentences[i + n - 1] as Span;
      runs.push({ text: region.text.slice(first.start, last.end), start: first.start, end: last.end, length: n });
    }
  }
  return runs;
}

/** The fewest sentences scoring within margin of the best run; then the higher score; then the earlier run. */
export function smallestBestRun(runs: { length: number }[], scores: number[], margin: number): number | null {
  let best = Number.NEGATIVE_INFINITY;
  for (const score of scores) best = Math.max(best, score);
  if (runs.length === 0 || !Number.isFinite(best)) return null;
  let chosen: number | null = null;
  for (let i = 0; i < runs.length; i++) {
    const score = scores[i] ?? Number.NEGATIVE_INFINITY;
    if (score < best - margin - 1e-12) continue;
    const held = chosen === null ? null : (runs[chosen] as { length: number });
    const length = (runs[i] as { length: number }).length;
    if (held === null || length < held.length || (length === held.length && score > (scores[chosen as number] ?? 0))) chosen = i;
  }
  return chosen;
}

function toDocument(region: { text: string; offset: number }, span: Span, basis: SpanBasis): SupportSpan {
  const start = region.offset + span.start;
  return { text: span.text, start, end: start + span.text.length, basis };
}

/** The smallest run of the chunk's sentences that covers as many of the claim's words as any run does. */
export function supportingSpan(claim: string, passage: Passage, docText: DocumentText): SupportSpan {
  const region = chunkRegion(passage, docText);
  const runs = candidateRuns(region);
  const claimWords = contentWords(stripMarkers(claim));
  const scores = runs.map((run) => overlapScore(claimWords, new Set(contentWords(run.text))));
  const chosen = smallestBestRun(runs, scores, 0);
  if (chosen === null || !((scores[chosen] ?? 0) > 0)) return toDocument(region, wholeRegion(region.text), 'chunk');
  return toDocument(region, runs[chosen] as Span, 'overlap');
}

/** The smallest run the reranker scores (close to) best for the claim; overlap decides when it fails. */
export async function rankedSpan(
  claim: string,
  passage: Passage,
  docText: DocumentText,
  scorer: SpanScorer,
): Promise<SupportSpan> {
  const region = chunkRegion(passage, docText);
  const runs = candidateRuns(region);
  if (runs.length === 0) return toDocument(region, wholeRegion(region.text), 'chunk');
  // The cross-encoder reads the runs as a reader would: line-end hyphens joined, wrapped lines as spaces.
  const scores = await scorer(
    stripMarkers(claim),
    runs.map((r) => readableText(r.text)),
  );
  const chosen = scores.length === runs.length ? smallestBestRun(runs, scores, RERANK_MARGIN) : null;
  return chosen === null ? supportingSpan(claim, passage, docText) : toDocument(region, runs[chosen] as Span, 'reranker');
}

function wholeRegion(text: string): Span {
  const trimmed = text.trim();
  const start = text.indexOf(trimmed);
  return { text: trimmed, start, end: start + trimmed.length };
}

/** The sentences of a passage's chunk, with offsets into the document. */
export function chunkSentences(passage: Passage, docText: DocumentText): Span[] {
  const region = chunkRegion(passage, docText);
  return splitSentences(region.text).map((s) => ({ text: s.text, start: region.offset + s.start, end: region.offset + s.end }));
}

/** One citation per (sentence, marker) pair whose sentence was not removed, deduplicated by span. */
export function mapCitations(sentences: SentenceVerdict[], passages: GradedPassage[], docText: DocumentText): Citation[] {
  return collectCitations(sentences, passages, (claim, passage) => supportingSpan(claim, passage, docText));
}

/** mapCitations with each quote chosen by the reranker (when one is loaded). */
export async function mapCitationsRanked(
  sentences: SentenceVerdict[],
  passages: GradedPassage[],
  docText: DocumentText,
  scorer: SpanScorer,
): Promise<Citation[]> {
  return createCiter(docText, scorer)(sentences, passages);
}

/** Citations for some sentences; the same claim in the same chunk keeps the span it got first. */
export type Citer = (sentences: SentenceVerdict[], passages: GradedPassage[]) => Promise<Citation[]>;

/**
 * One answer's citer: spans ranked by `scorer` when given (a scorer that returns no scores, because
 * no reranker is loaded after all, leaves them to word overlap), else by word overlap. Spans are
 * kept per claim and chunk, so a sentence's citation when it is released and in the final result
 * is the same, and the reranker scores it once.
 */
export function createCiter(docText: DocumentText, scorer: SpanScorer | null): Citer {
  const spans = new Map<string, SupportSpan>();
  const key = (claim: string, passage: Passage) => `${passage.chunkId}\u0000${claim}`;
  // A reranker that fails costs the ranking, not the answer: the span's basis then says 'overlap'.
  const spanOf = async (claim: string, passage: Passage) =>
    scorer
      ? rankedSpan(claim, passage, docText, scorer).catch(() => supportingSpan(claim, passage, docText))
      : supportingSpan(claim, passage, docText);
  return async (sentences, passages) => {
    await collectPending(sentences, passages, async (claim, passage) => {
      if (!spans.has(key(claim, passage))) spans.set(key(claim, passage), await spanOf(claim, passage));
    });
    return collectCitations(sentences, passages, (claim, passage) => spans.get(key(claim, passage)) as SupportSpan);
  };
}

type Cited = (claim: string, passage: Passage) => void | Promise<void>;

async function collectPending(sentences: SentenceVerdict[], passages: GradedPassage[], visit: Cited): Promise<void> {
  const byMarker = new Map(passages.map((p) => [p.marker, p.passage]));
  for (const sentence of sentences) {
    if (sentence.removed || sentence.support === 'none') continue;
    for (const marker of sentence.markers) {
      const passage = byMarker.get(marker);
      if (passage) await visit(sentence.text, passage);
    }
  }
}

function collectCitations(
  sentences: SentenceVerdict[],
  passages: GradedPassage[],
  spanOf: (claim: string, passage: Passage) => SupportSpan,
): Citation[] {
  const byMarker = new Map(passages.map((p) => [p.marker, p.passage]));
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const sentence of sentences) {
    if (sentence.removed || sentence.support === 'none') continue;
    for (const marker of sentence.markers) {
      const passage = byMarker.get(marker);
      if (!passage) continue;
      const span = spanOf(sentence.text, passage);
      const key = `${marker}:${span.start}:${span.end}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Shown as read (wrapped lines joined, "ef-\nficient" whole); start/end stay exact in the stored text.
      citations.push(citePassage(marker, passage, { ...span, text: readableText(span.text) }, span.basis));
    }
  }
  return citations;
}
