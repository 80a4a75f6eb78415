import type { Citation, Document, Passage } from '../core/index.ts';
import { contentWords, overlapScore, type Span, splitSentences, stripMarkers } from './text.ts';
import type { GradedPassage, SentenceVerdict } from './types.ts';

/** Looks up a document's text; null when it is gone (then the passage's own text is used). */
export type DocumentText = (documentId: string) => string | null;

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

/** The sentence of the chunk that best matches the claim, as offsets into the document. */
export function supportingSpan(claim: string, passage: Passage, docText: DocumentText): Span {
  const region = chunkRegion(passage, docText);
  const claimWords = contentWords(stripMarkers(claim));
  let best: Span | null = null;
  let bestScore = 0;
  for (const sentence of splitSentences(region.text)) {
    const score = overlapScore(claimWords, new Set(contentWords(sentence.text)));
    if (score > bestScore) {
      best = sentence;
      bestScore = score;
    }
  }
  const span = best ?? wholeRegion(region.text);
  const start = region.offset + span.start;
  return { text: span.text, start, end: start + span.text.length };
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
  const byMarker = new Map(passages.map((p) => [p.marker, p.passage]));
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const sentence of sentences) {
    if (sentence.removed || sentence.support === 'none') continue;
    for (const marker of sentence.markers) {
      const passage = byMarker.get(marker);
      if (!passage) continue;
      const span = supportingSpan(sentence.text, passage, docText);
      const key = `${marker}:${span.start}:${span.end}`;
      if (seen.has(key)) continue;
      seen.add(key);
      citations.push({
        marker,
        chunkId: passage.chunkId,
        documentId: passage.documentId,
        source: passage.source,
        title: passage.title,
        page: passage.page,
        start: span.start,
        end: span.end,
        quote: span.text,
      });
    }
  }
  return citations;
}
