import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { LoadedDocument } from '../types.ts';
import { charsetOf, decodeText } from './decode.ts';
import { domToText } from './html-text.ts';
import { detectLanguage } from './language.ts';

/** A charset declared in the first bytes of a page: <meta charset> or http-equiv content type. */
export function metaCharset(data: Uint8Array): string | null {
  const head = Buffer.from(data.subarray(0, 4096)).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1] ?? null;
}

/** Decodes an HTML page: BOM first, then the HTTP header's charset, then <meta>, then detection. */
export function decodeHtml(data: Uint8Array, mime?: string): string {
  return decodeText(data, charsetOf(mime) ?? metaCharset(data)).text;
}

type HtmlDocument = ReturnType<typeof parseHTML>['document'];

/** Readability's main content when it finds a substantial article; otherwise the whole body without boilerplate. */
function mainContent(html: string, document: HtmlDocument): { root: unknown; title: string } {
  const title = (document.querySelector('title')?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const bodyText = (document.body?.textContent ?? '').replace(/\s+/g, ' ').trim();
  try {
    const article = new Readability(parseHTML(html).document as unknown as Document).parse();
    const articleText = (article?.textContent ?? '').replace(/\s+/g, ' ').trim();
    // Short pages and table-heavy ones lose real content to Readability's scoring: keep the body then.
    // When it drops next to nothing, the body is kept too (Readability renumbers headings).
    const ratio = articleText.length / Math.max(1, bodyText.length);
    if (article?.content && articleText.length >= 500 && ratio >= 0.5 && ratio < 0.9) {
      const root = parseHTML(`<!doctype html><html><body>${article.content}</body></html>`).document.body;
      return { root, title: title || (article.title ?? '') };
    }
  } catch {
    // Readability failing on odd markup is not fatal: the body is still there.
  }
  return { root: document.body ?? document.documentElement, title };
}

/** linkedom needs an <html> element to find <head> and <body>; fragments and bare pages get one. */
function withHtmlElement(html: string): string {
  if (/<html[\s>]/i.test(html)) return html;
  const bare = html.replace(/<!doctype[^>]*>/i, '');
  if (/<(head|body)[\s>]/i.test(bare)) return `<!doctype html><html>${bare}</html>`;
  return `<!doctype html><html><head></head><body>${bare}</body></html>`;
}

export function htmlToDocument(raw: string, fallbackTitle: string): LoadedDocument {
  const html = withHtmlElement(raw);
  const { document } = parseHTML(html);
  const { root, title } = mainContent(html, document);
  const { text, outline } = domToText(root as Parameters<typeof domToText>[0]);
  return {
    text,
    mime: 'text/html',
    title: title || outline[0]?.title || fallbackTitle,
    language: (document.documentElement?.getAttribute('lang') ?? '').slice(0, 2).toLowerCase() || detectLanguage(text),
    pages: [],
    outline,
    metadata: {},
    kind: 'html',
  };
}

export function loadHtml(data: Uint8Array, name: string, mime?: string): LoadedDocument {
  return htmlToDocument(decodeHtml(data, mime), name);
}
