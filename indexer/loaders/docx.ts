import { parseHTML } from 'linkedom';
import mammoth from 'mammoth';
import { CairnError } from '../../core/index.ts';
import type { GuardedZip } from '../archive/index.ts';
import type { LoadedDocument } from '../types.ts';
import { domToText } from './html-text.ts';
import { detectLanguage } from './language.ts';

/** Mammoth's footnote back-links ("↑") are navigation, not content. */
function dropBackLinks(html: string): string {
  return html.replace(/<a href="#(?:footnote|endnote)-ref-[^"]*">[^<]*<\/a>/g, '');
}

/**
 * A DOCX from a ZIP that passed the archive guard: mammoth (JSZip) reads the guard's rewritten
 * archive, whose entries were all inflated and counted, never the bytes as uploaded.
 */
export async function loadDocx(zip: GuardedZip, name: string): Promise<LoadedDocument> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: zip.bytes })).value;
  } catch (error) {
    throw new CairnError('LOADER_FAILED', (error as Error).message);
  }
  const { document } = parseHTML(`<!doctype html><html><body>${dropBackLinks(html)}</body></html>`);
  const { text, outline } = domToText(document.body as unknown as Parameters<typeof domToText>[0]);
  return {
    text,
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    title: outline.find((h) => h.level === 1)?.title ?? name,
    language: detectLanguage(text),
    pages: [],
    outline,
    metadata: {},
    kind: 'text',
  };
}
