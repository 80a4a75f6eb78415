import { openPdfFile, type PdfFile } from './pdf-file.ts';
import { isDict, nameOf, type PdfDict, type PdfValue } from './pdf-objects.ts';
import { glyphsToUnicode } from './pdf-truetype.ts';

/**
 * pdf.js reads a Type0 font with Identity encoding and no /ToUnicode as if each CID were a
 * Unicode code point (so `：黎荣` comes out as `˖哾㦓`; pdftotext does the same). The glyphs'
 * meaning is in the embedded TrueType font's own cmap, which is where pdfminer.six looks
 * (pdfminer.six issue 566). We build the missing ToUnicode map from that cmap and hand pdf.js the
 * file with an incremental update that attaches it, so pdf.js's spacing, bidi and normalisation
 * still apply to the corrected characters.
 */

/** pdf.js already maps these collections through its own UCS2 CMaps. */
const KNOWN_COLLECTIONS = new Set(['GB1', 'CNS1', 'Japan1', 'Korea1']);

export interface FontFix {
  num: number;
  dict: PdfDict;
  toUnicode: Map<number, string>;
}

function stringOf(value: PdfValue | undefined): string | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'string'
    ? value.bytes
    : undefined;
}

function descendantOf(file: PdfFile, font: PdfDict): PdfDict | undefined {
  const list = file.resolve(font.entries.get('DescendantFonts'));
  const first = file.resolve(Array.isArray(list) ? list[0] : undefined);
  return isDict(first) && nameOf(first.entries.get('Subtype')) === 'CIDFontType2' ? first : undefined;
}

/** CID -> glyph id: the identity unless /CIDToGIDMap is a stream of big-endian glyph ids. */
function cidToGid(file: PdfFile, cidFont: PdfDict): ((cid: number) => number) | undefined {
  const map = cidFont.entries.get('CIDToGIDMap');
  if (map === undefined || nameOf(map) === 'Identity') return (cid) => cid;
  const ref = typeof map === 'object' && map !== null && !Array.isArray(map) && map.kind === 'ref' ? map.num : undefined;
  const object = ref === undefined ? undefined : file.get(ref);
  const bytes = object ? file.streamBytes(object) : null;
  if (!bytes) return undefined;
  return (cid) => (2 * cid + 2 <= bytes.length ? bytes.readUInt16BE(2 * cid) : 0);
}

function embeddedTrueType(file: PdfFile, cidFont: PdfDict): Buffer | null {
  const descriptor = file.resolve(cidFont.entries.get('FontDescriptor'));
  const ref = isDict(descriptor) ? descriptor.entries.get('FontFile2') : undefined;
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref) || ref.kind !== 'ref') return null;
  const object = file.get(ref.num);
  return object ? file.streamBytes(object) : null;
}

export function fixFor(file: PdfFile, num: number, font: PdfDict): FontFix | undefined {
  if (nameOf(font.entries.get('Subtype')) !== 'Type0' || font.entries.has('ToUnicode')) return undefined;
  if (!/^Identity-[HV]$/.test(nameOf(font.entries.get('Encoding')) ?? '')) return undefined;
  const cidFont = descendantOf(file, font);
  if (!cidFont) return undefined;
  const info = file.resolve(cidFont.entries.get('CIDSystemInfo'));
  if (isDict(info) && KNOWN_COLLECTIONS.has(stringOf(info.entries.get('Ordering')) ?? '')) return undefined;
  const toGid = cidToGid(file, cidFont);
  const fontFile = embeddedTrueType(file, cidFont);
  if (!toGid || !fontFile) return undefined;
  const byGlyph = glyphsToUnicode(fontFile);
  const toUnicode = new Map<number, string>();
  for (let cid = 0; cid <= 0xffff; cid++) {
    const text = byGlyph.get(toGid(cid));
    if (text !== undefined) toUnicode.set(cid, text);
  }
  return toUnicode.size > 0 ? { num, dict: font, toUnicode } : undefined;
}

function hex(text: string): string {
  return Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase();
}

/** A CMap in the form the PDF spec gives for ToUnicode, bfchar blocks of at most 100 entries. */
export function toUnicodeCMap(map: Map<number, string>): string {
  const entries = [...map].sort((a, b) => a[0] - b[0]);
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    const lines = block.map(([code, text]) => `<${code.toString(16).padStart(4, '0').toUpperCase()}> <${hex(text)}>`);
    blocks.push(`${block.length} beginbfchar\n${lines.join('\n')}\nendbfchar`);
  }
  return [
    '/CIDInit /ProcSet findresource begin 12 dict begin begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def /CMapType 2 def',
    '1 begincodespacerange <0000> <FFFF> endcodespacerange',
    ...blocks,
    'endcmap CMapName currentdict /CMap defineresource pop end end',
  ].join('\n');
}

function decodeUtf16(hexDigits: string): string {
  const digits = hexDigits.replace(/[^0-9a-fA-F]/g, '');
  return Buffer.from(digits.slice(0, digits.length - (digits.length % 4)), 'hex')
    .swap16()
    .toString('utf16le');
}

/** Each ToUnicode stream once, decoded, with its object number. */
export function toUnicodeStreams(file: PdfFile): { num: number; text: string }[] {
  const out = new Map<number, string>();
  for (const object of file.find(/\/ToUnicode\b/)) {
    const ref = isDict(object.value) ? object.value.entries.get('ToUnicode') : undefined;
    if (typeof ref !== 'object' || ref === null || Array.isArray(ref) || ref.kind !== 'ref' || out.has(ref.num)) continue;
    const stream = file.get(ref.num);
    const text = stream ? file.streamBytes(stream)?.toString('latin1') : undefined;
    if (text) out.set(ref.num, text);
  }
  return [...out].map(([num, text]) => ({ num, text }));
}

/** Destination strings of every ToUnicode map that gives one code several characters. */
export function multiCharToUnicodeTexts(bytes: Uint8Array): string[] {
  try {
    const streams = toUnicodeStreams(openPdfFile(bytes));
    return streams.flatMap((stream) => destinationsOf(stream.text).filter((text) => text.length > 1));
  } catch {
    // Only a hint for RTL repair: a file this reader cannot follow just gets none.
    return [];
  }
}

/**
 * An empty destination (`<03f2> <>`) says the glyph has no text of its own: cairo gives a shaped
 * cluster's text to one glyph and none to the rest. pdf.js ignores an empty entry and shows the
 * code itself (`ϲΒϴΒ`), so such entries get a zero-width space, which the loader then removes.
 */
export const BLANK = '\u200b';
export function blankEmptyEntries(cmap: string): string | undefined {
  let changed = false;
  const out = cmap.replace(/beginbfchar([\s\S]*?)endbfchar/g, (block) =>
    block.replace(/(<[0-9a-fA-F\s]+>)\s*<\s*>/g, (_, code: string) => {
      changed = true;
      return `${code} <200B>`;
    }),
  );
  return changed ? out : undefined;
}

/** bfchar destinations, and bfrange ones (the start string, or each string of an array). */
function destinationsOf(cmap: string): string[] {
  const out: string[] = [];
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const pair of block[1]!.matchAll(/<[^>]*>\s*<([^>]*)>/g)) out.push(decodeUtf16(pair[1]!));
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const range of block[1]!.matchAll(/<[^>]*>\s*<[^>]*>\s*(?:<([^>]*)>|\[([^\]]*)\])/g)) {
      const list = range[1] !== undefined ? [range[1]] : [...range[2]!.matchAll(/<([^>]*)>/g)].map((m) => m[1]!);
      out.push(...list.map(decodeUtf16));
    }
  }
  return out;
}
