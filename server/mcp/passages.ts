import type { Citation, Passage } from '../../core/index.ts';

/** A passage as agents see it: where it is (document, page, exact offsets), its text and scores. */
export function passageView(collection: string, passage: Passage) {
  return {
    collection,
    documentId: passage.documentId,
    chunkId: passage.chunkId,
    title: passage.title,
    source: passage.source,
    page: passage.page,
    headings: passage.headings,
    start: passage.start,
    end: passage.end,
    contextStart: passage.contextStart,
    contextEnd: passage.contextEnd,
    text: passage.text,
    scores: passage.scores,
  };
}

export type PassageView = ReturnType<typeof passageView>;

function place(p: { title: string; source: string; page: number | null; start: number; end: number }): string {
  return `${p.title || p.source}${p.page === null ? '' : `, p. ${p.page}`}, characters ${p.start}–${p.end}`;
}

export function passagesText(passages: PassageView[]): string {
  return passages.map((p, i) => `[${i + 1}] ${p.collection}/${p.documentId} — ${place(p)}\n${p.text.trim()}`).join('\n\n');
}

export function citationView(citation: Citation) {
  return {
    marker: citation.marker,
    documentId: citation.documentId,
    chunkId: citation.chunkId,
    title: citation.title,
    source: citation.source,
    page: citation.page,
    start: citation.start,
    end: citation.end,
    quote: citation.quote,
    spanBasis: citation.spanBasis ?? null,
  };
}

export function citationsText(citations: ReturnType<typeof citationView>[]): string {
  return citations.map((c) => `[${c.marker}] ${c.documentId} — ${place(c)}: "${c.quote.trim()}"`).join('\n');
}
