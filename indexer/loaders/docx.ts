import { parseHTML } from 'linkedom';
import mammoth from 'mammoth';
import { CairnError } from '../../core/index.ts';
import type { LoadedDocument } from '../types.ts';
import { domToText } from './html-text.ts';
import { detectLanguage } from './language.ts';

/**
 * The total uncompressed size a ZIP's central directory declares, read before unpacking so a
 * zip bomb is refused without inflating it. Null when there is no end-of-directory record.
 */
export function zipUncompressedSize(data: Uint8Array): number | null {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const from = Math.max(0, buffer.length - 65_557);
  const eocd = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < from || eocd + 22 > buffer.length) return null;
  const entries = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (offset + 46 > buffer.length || buffer.readUInt32LE(offset) !== 0x02014b50) return null;
    total += buffer.readUInt32LE(offset + 24);
    offset += 46 + buffer.readUInt16LE(offset + 28) + buffer.readUInt16LE(offset + 30) + buffer.readUInt16LE(offset + 32);
  }
  return total;
}

/** Mammoth's footnote back-links ("↑") are navigation, not content. */
function dropBackLinks(html: string): string {
  return html.replace(/<a href="#(?:footnote|endnote)-ref-[^"]*">[^<]*<\/a>/g, '');
}

export async function loadDocx(data: Uint8Array, name: string, maxDecompressedBytes: number): Promise<LoadedDocument> {
  const size = zipUncompressedSize(data);
  if (size === null) throw new CairnError('LOADER_FAILED', 'Not a valid .docx file (no ZIP directory)');
  if (size > maxDecompressedBytes) {
    throw new CairnError('TOO_LARGE', `The .docx unpacks to ${size} bytes, over the ${maxDecompressedBytes}-byte limit`);
  }
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(data) })).value;
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
