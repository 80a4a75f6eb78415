import type { LoadedDocument, OutlineEntry } from '../types.ts';
import { detectLanguage } from './language.ts';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;

/** Heading outline of markdown text, ignoring anything inside fenced code blocks. */
export function markdownOutline(text: string): OutlineEntry[] {
  const outline: OutlineEntry[] = [];
  let fence: string | null = null;
  let offset = 0;
  let previous: { offset: number; line: string } | null = null;
  for (const line of text.split('\n')) {
    const fenceMatch = FENCE.exec(line);
    if (fence) {
      if (fenceMatch?.[1]?.[0] === fence[0] && (fenceMatch?.[1]?.length ?? 0) >= fence.length) fence = null;
      previous = null;
    } else if (fenceMatch?.[1]) {
      fence = fenceMatch[1];
      previous = null;
    } else {
      const atx = ATX.exec(line);
      const setext = SETEXT.exec(line);
      if (atx?.[1]) outline.push({ offset, level: atx[1].length, title: (atx[2] ?? '').trim() });
      else if (setext?.[1] && previous?.line.trim() && !/^\s*[-*+]\s/.test(previous.line)) {
        outline.push({
          offset: (previous as { offset: number }).offset,
          level: setext[1][0] === '=' ? 1 : 2,
          title: previous.line.trim(),
        });
      }
      previous = atx ? null : { offset, line };
    }
    offset += line.length + 1;
  }
  return outline;
}

/** Markdown is stored as written: code stays verbatim and offsets point into the source. */
export function markdownToDocument(text: string, fallbackTitle: string): LoadedDocument {
  const outline = markdownOutline(text);
  const top = outline.find((h) => h.level === 1) ?? outline[0];
  return {
    text,
    mime: 'text/markdown',
    title: top?.title || fallbackTitle,
    language: detectLanguage(text),
    pages: [],
    outline,
    metadata: {},
    kind: 'markdown',
  };
}
