import type { Citation, Passage } from '../../sdk/index.ts';

/** The answer's text split at its `[n]` markers: strings, and the marker numbers between them. */
export function markerParts(text: string): Array<string | number> {
  return text
    .split(/(\[\d+\])/)
    .filter((part) => part !== '')
    .map((part) => {
      const marker = /^\[(\d+)\]$/.exec(part);
      return marker ? Number(marker[1]) : part;
    });
}

/** Where a citation or passage comes from: its title (or source) and page. */
export function whereFrom(c: { title: string; source: string; page?: number | null }): string {
  return [c.title || c.source, c.page ? `p. ${c.page}` : ''].filter(Boolean).join(', ');
}

export interface CitationGroup {
  marker: number;
  where: string;
  quotes: string[];
}

/**
 * One group per marker, in marker order, each with every exact span quoted under it; citations
 * of a since-deleted document (stored chats mark them `deleted`) are left out.
 */
export function citationGroups(citations: Citation[]): CitationGroup[] {
  const byMarker = new Map<number, Citation[]>();
  for (const c of citations) {
    if ((c as Citation & { deleted?: boolean }).deleted) continue;
    byMarker.set(c.marker, [...(byMarker.get(c.marker) ?? []), c]);
  }
  return [...byMarker]
    .sort(([a], [b]) => a - b)
    .map(([marker, cites]) => ({ marker, where: whereFrom(cites[0] as Citation), quotes: cites.map((c) => c.quote) }));
}

/** The answer's text with each [n] as a small numbered chip (text only: never HTML). */
export function AnswerText({ text }: { text: string }) {
  return (
    <>
      {markerParts(text).map((part) =>
        typeof part === 'number' ? (
          <span class="cite" title={`source ${part}`}>
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** The sources of an answer: each marker's document and the spans it quotes. */
export function Sources({ citations, label }: { citations: Citation[]; label: string }) {
  const groups = citationGroups(citations);
  if (groups.length === 0) return null;
  return (
    <ul class="sources" aria-label={label}>
      <li class="label">{label}</li>
      {groups.map((group) => (
        <li class="source" key={group.marker}>
          <div class="where">
            <span class="cite">{group.marker}</span>
            {group.where}
          </div>
          {group.quotes.map((quote) => (
            <q>{quote}</q>
          ))}
        </li>
      ))}
    </ul>
  );
}

/** On an abstention: the passages that came closest, each shortened to its start. */
export function ClosestPassages({
  passages,
  label,
}: {
  passages: Pick<Passage, 'title' | 'source' | 'page' | 'text'>[];
  label: string;
}) {
  if (passages.length === 0) return null;
  return (
    <ul class="sources">
      <li class="label">{label}</li>
      {passages.map((p) => (
        <li class="source">
          <div class="where">{whereFrom(p)}</div>
          <q>{p.text.slice(0, 220)}</q>
        </li>
      ))}
    </ul>
  );
}
