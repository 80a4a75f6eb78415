import DOMPurify from 'dompurify';
import { marked } from 'marked';

const MARKER = /\[(\d{1,3})\]/g;

/** Turns each `[n]` in the text nodes into a citation chip; markers inside code stay as written. */
function chipMarkers(root: ParentNode, known: Set<number>): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
  for (const node of nodes) {
    if (node.parentElement?.closest('code, pre')) continue;
    const text = node.data;
    if (!MARKER.test(text)) continue;
    MARKER.lastIndex = 0;
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      const marker = Number(match[1]);
      fragment.append(text.slice(last, match.index));
      fragment.append(known.has(marker) ? chip(marker) : match[0]);
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    node.replaceWith(fragment);
  }
}

function chip(marker: number): HTMLElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'cite';
  button.dataset.marker = String(marker);
  button.textContent = String(marker);
  button.setAttribute('aria-label', `Source ${marker}`);
  return button;
}

/**
 * An answer as safe HTML: Markdown by marked, sanitised by DOMPurify (an answer quotes documents,
 * and documents are untrusted), then `[n]` markers of known citations become chips.
 */
export function renderAnswer(markdown: string, markers: number[]): string {
  const html = marked.parse(markdown, { async: false, gfm: true, breaks: false });
  const clean = DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'img'] });
  const template = document.createElement('template');
  template.innerHTML = clean;
  chipMarkers(template.content, new Set(markers));
  for (const link of template.content.querySelectorAll('a')) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  return template.innerHTML;
}
