import { openPdfFile, type PdfFile } from './pdf-file.ts';
import { isDict } from './pdf-objects.ts';
import { blankEmptyEntries, fixFor, toUnicodeCMap, toUnicodeStreams } from './pdf-tounicode.ts';

/**
 * Font-map repairs are handed to pdf.js as an incremental update (new object revisions appended,
 * an xref section chaining to the old one): the original bytes stay untouched, and pdf.js does
 * the rest of the text extraction exactly as before.
 */
export interface RepairedPdf {
  data: Uint8Array;
  /** Some ToUnicode entries now give BLANK, which the text must lose again. */
  blanked: boolean;
}

interface NewObject {
  num: number;
  body: string;
}

/** Root, Info and ID of the newest trailer (a classic `trailer` or an xref stream's dictionary). */
function trailerEntries(file: PdfFile): string | undefined {
  const at = file.src.lastIndexOf('trailer');
  const last = file
    .find(/\/Type[\0\t\n\f\r ]*\/XRef\b/)
    .map((o) => o.value)
    .filter(isDict)
    .at(-1);
  const text = at >= 0 ? file.src.slice(at, at + 2048) : last ? last.src.slice(last.start, last.end) : '';
  const pick = (re: RegExp) => re.exec(text)?.[0] ?? '';
  const root = pick(/\/Root\s*\d+\s+\d+\s+R/);
  if (!root) return undefined;
  return [root, pick(/\/Info\s*\d+\s+\d+\s+R/), pick(/\/ID\s*\[[^\]]*\]/)].filter(Boolean).join(' ');
}

function appendUpdate(file: PdfFile, objects: NewObject[], size: number): Buffer | undefined {
  const trailer = trailerEntries(file);
  const prev = [...file.src.slice(-2048).matchAll(/startxref\s+(\d+)/g)].at(-1)?.[1];
  if (!trailer || prev === undefined) return undefined;
  let tail = '\n';
  const entries: string[] = [];
  for (const { num, body } of objects) {
    entries.push(`${num} 1\n${String(file.src.length + tail.length).padStart(10, '0')} 00000 n\r\n`);
    tail += `${num} 0 obj\n${body}\nendobj\n`;
  }
  const xrefAt = file.src.length + tail.length;
  tail += `xref\n${entries.join('')}trailer\n<< /Size ${size} ${trailer} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([Buffer.from(file.src, 'latin1'), Buffer.from(tail, 'latin1')]);
}

function streamObject(num: number, text: string): NewObject {
  return { num, body: `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream` };
}

/** New revisions: a built ToUnicode for each font that has none, a blanked one for empty entries. */
function repairs(file: PdfFile): { objects: NewObject[]; blanked: boolean; size: number } {
  let next = file.maxObjectNumber + 1;
  const objects: NewObject[] = [];
  for (const object of file.find(/\/Type0\b/)) {
    const fix = isDict(object.value) ? fixFor(file, object.num, object.value) : undefined;
    if (!fix) continue;
    const ref = next++;
    objects.push(streamObject(ref, toUnicodeCMap(fix.toUnicode)));
    objects.push({ num: fix.num, body: `<< /ToUnicode ${ref} 0 R ${fix.dict.src.slice(fix.dict.start + 2, fix.dict.end)}` });
  }
  let blanked = false;
  for (const stream of toUnicodeStreams(file)) {
    const text = blankEmptyEntries(stream.text);
    if (text === undefined) continue;
    objects.push(streamObject(stream.num, text));
    blanked = true;
  }
  return { objects, blanked, size: next };
}

/** The repaired PDF, or null when no font needs it (the common case: nothing is rewritten). */
export function repairFontMaps(bytes: Uint8Array): RepairedPdf | null {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Encrypted files would need their new streams encrypted too.
  if (raw.includes('/Encrypt') || !(raw.includes('Type0') || raw.includes('ObjStm') || raw.includes('ToUnicode'))) {
    return null;
  }
  try {
    const file = openPdfFile(bytes);
    const { objects, blanked, size } = repairs(file);
    const data = objects.length > 0 ? appendUpdate(file, objects, size) : undefined;
    return data ? { data, blanked } : null;
  } catch {
    // Best effort: pdf.js still reads the untouched file, as before.
    return null;
  }
}
