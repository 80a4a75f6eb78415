import chardet from 'chardet';
import iconv from 'iconv-lite';
import { CairnError } from '../../core/index.ts';

/** Encodings whose detection is trusted over the Windows-1252 fallback: legacy multi-byte and Cyrillic. */
const TRUSTED =
  /^(shift_jis|euc-jp|iso-2022-jp|gb18030|gbk|big5|euc-kr|iso-2022-kr|koi8-r|windows-1251|utf-16le|utf-16be|utf-32le|utf-32be)$/i;

/** Binary content: NUL bytes or many control characters in the first 8 KB (text in UTF-16 excepted). */
export function looksBinary(data: Uint8Array): boolean {
  if (bomEncoding(data)) return false;
  const sample = data.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 9 || (byte > 13 && byte < 32 && byte !== 27)) control++;
  }
  return sample.length > 0 && control / sample.length > 0.1;
}

function bomEncoding(data: Uint8Array): string | null {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return 'utf-8';
  if (data[0] === 0xff && data[1] === 0xfe) return 'utf-16le';
  if (data[0] === 0xfe && data[1] === 0xff) return 'utf-16be';
  return null;
}

/** WHATWG maps these labels to windows-1252, which is a superset of them (0x80-0x9F as € “ ” …). */
function canonical(label: string): string {
  const lower = label
    .trim()
    .toLowerCase()
    .replace(/^["']|["']$/g, '');
  if (/^(iso-8859-1|iso8859-1|latin1|latin-1|us-ascii|ascii|l1|cp1252|windows-1252)$/.test(lower)) return 'windows-1252';
  return lower;
}

function isUtf8(data: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** The encoding to read bytes with: BOM, then a declared charset, then valid UTF-8, then detection. */
export function detectEncoding(data: Uint8Array, declared?: string | null): string {
  const bom = bomEncoding(data);
  if (bom) return bom;
  if (declared && iconv.encodingExists(canonical(declared))) {
    const label = canonical(declared);
    // A page that says UTF-8 but is not is common; trust the bytes over the label then.
    if (label !== 'utf-8' && label !== 'utf8') return label;
    if (isUtf8(data)) return 'utf-8';
  }
  if (isUtf8(data)) return 'utf-8';
  const guess = chardet.analyse(data.subarray(0, 65536))[0];
  if (guess && guess.confidence >= 50 && TRUSTED.test(guess.name)) return guess.name.toLowerCase();
  return 'windows-1252';
}

/** Bytes to a string in the given or detected encoding; binary content is refused. */
export function decodeText(data: Uint8Array, declared?: string | null): { text: string; encoding: string } {
  if (data.length === 0) throw new CairnError('EMPTY_FILE', 'The file is empty (0 bytes)');
  if (looksBinary(data)) throw new CairnError('BINARY_FILE', 'The file is binary, not text');
  const encoding = detectEncoding(data, declared);
  const text = encoding === 'utf-8' ? Buffer.from(data).toString('utf8') : iconv.decode(Buffer.from(data), encoding);
  return { text: text.replace(/^\uFEFF/, ''), encoding };
}

/** The charset parameter of a content type, if any. */
export function charsetOf(mime?: string): string | null {
  return mime ? (/charset\s*=\s*["']?([\w.:-]+)/i.exec(mime)?.[1] ?? null) : null;
}
