import type { AnswerResult, Citation } from './client.ts';
import type { Strings } from './i18n.ts';

type Child = Node | string | null | false;

/** A tiny element builder: properties set as properties, text always as text (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, unknown>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.startsWith('aria-') || name.startsWith('data-') || name === 'part' || name === 'role')
      node.setAttribute(name, String(value));
    else (node as unknown as Record<string, unknown>)[name] = value;
  }
  for (const child of children) if (child !== null && child !== false) node.append(child);
  return node;
}

const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2Z',
  close: 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6Z',
  reset: 'M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7Z',
};

export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

/** The answer's text with each [n] shown as a small numbered chip. */
export function answerText(text: string): Node[] {
  return text.split(/(\[\d+\])/).map((part) => {
    const marker = /^\[(\d+)\]$/.exec(part);
    return marker
      ? h('span', { className: 'cite', title: `source ${marker[1]}` }, marker[1] ?? '')
      : document.createTextNode(part);
  });
}

function where(c: { title: string; source: string; page?: number | null }): string {
  return [c.title || c.source, c.page ? `p. ${c.page}` : ''].filter(Boolean).join(', ');
}

/** One entry per marker, each with the exact spans quoted from its source. */
function citationList(citations: Citation[], strings: Strings): HTMLElement | null {
  const byMarker = new Map<number, Citation[]>();
  for (const c of citations) if (!c.deleted) byMarker.set(c.marker, [...(byMarker.get(c.marker) ?? []), c]);
  if (byMarker.size === 0) return null;
  const items = [...byMarker].map(([marker, cites]) =>
    h(
      'li',
      { className: 'source' },
      h('div', { className: 'where' }, h('span', { className: 'cite' }, String(marker)), where(cites[0] as Citation)),
      ...cites.map((c) => h('q', {}, c.quote)),
    ),
  );
  return h(
    'ul',
    { className: 'sources', 'aria-label': strings.sources },
    h('li', { className: 'label' }, strings.sources),
    ...items,
  );
}

function closestList(result: AnswerResult, strings: Strings): HTMLElement | null {
  const passages = result.closestPassages ?? [];
  if (passages.length === 0) return null;
  const items = passages.map((p) =>
    h('li', { className: 'source' }, h('div', { className: 'where' }, where(p)), h('q', {}, p.text.slice(0, 220))),
  );
  return h('ul', { className: 'sources' }, h('li', { className: 'label' }, strings.closest), ...items);
}

/** Fills a bot bubble with a finished answer: text, citations, or the abstention and closest passages. */
export function renderAnswer(bubble: HTMLElement, result: AnswerResult, strings: Strings): void {
  const abstained = result.decision === 'abstained';
  bubble.className = abstained ? 'msg bot abstained' : 'msg bot';
  bubble.replaceChildren(
    ...(abstained ? [h('div', { className: 'badge' }, strings.abstained)] : []),
    h('div', { className: 'text' }, ...answerText(result.answer)),
    ...[abstained ? closestList(result, strings) : citationList(result.citations, strings)].filter(
      (n): n is HTMLElement => n !== null,
    ),
  );
}

export function renderRefusal(bubble: HTMLElement, message: string): void {
  bubble.className = 'msg bot refused';
  bubble.setAttribute('role', 'alert');
  bubble.replaceChildren(h('div', { className: 'text' }, message));
}
