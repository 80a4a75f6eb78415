/**
 * Reads the Unicode `cmap` of an embedded TrueType font and inverts it to glyph id -> text.
 * A CID font without a ToUnicode map carries its only character meaning here (pdfminer.six does
 * the same for Adobe-Identity fonts; pdf.js instead takes the CID itself for a code point).
 */

function tableOffset(font: Buffer, tag: string): number | undefined {
  if (font.length < 12) return undefined;
  const count = font.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + 16 * i;
    if (at + 16 > font.length) return undefined;
    if (font.toString('latin1', at, at + 4) === tag) return font.readUInt32BE(at + 8);
  }
  return undefined;
}

/** Unicode subtables, best first: full-repertoire (3,10)/(0,4+) before BMP-only (3,1)/(0,x). */
function unicodeSubtables(font: Buffer, cmap: number): number[] {
  const found: { rank: number; offset: number }[] = [];
  const count = font.readUInt16BE(cmap + 2);
  for (let i = 0; i < count; i++) {
    const at = cmap + 4 + 8 * i;
    const platform = font.readUInt16BE(at);
    const encoding = font.readUInt16BE(at + 2);
    const offset = cmap + font.readUInt32BE(at + 4);
    if (platform === 3 && encoding === 10) found.push({ rank: 0, offset });
    else if (platform === 0) found.push({ rank: encoding >= 4 ? 0 : 1, offset });
    else if (platform === 3 && encoding === 1) found.push({ rank: 1, offset });
  }
  return found.sort((a, b) => a.rank - b.rank).map((t) => t.offset);
}

function readFormat4(font: Buffer, at: number, add: (code: number, gid: number) => void): void {
  const segments = font.readUInt16BE(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  for (let s = 0; s < segments; s++) {
    const end = font.readUInt16BE(ends + 2 * s);
    const start = font.readUInt16BE(starts + 2 * s);
    const delta = font.readInt16BE(deltas + 2 * s);
    const rangeOffset = font.readUInt16BE(rangeOffsets + 2 * s);
    for (let code = start; code <= end && code !== 0xffff; code++) {
      let gid = code;
      if (rangeOffset !== 0) {
        const glyphAt = rangeOffsets + 2 * s + rangeOffset + 2 * (code - start);
        gid = glyphAt + 2 <= font.length ? font.readUInt16BE(glyphAt) : 0;
        if (gid === 0) continue;
      }
      add(code, (gid + delta) & 0xffff);
    }
  }
}

function readFormat12(font: Buffer, at: number, add: (code: number, gid: number) => void): void {
  const groups = font.readUInt32BE(at + 12);
  for (let g = 0; g < groups; g++) {
    const group = at + 16 + 12 * g;
    const start = font.readUInt32BE(group);
    const end = Math.min(font.readUInt32BE(group + 4), 0x10ffff);
    const gid = font.readUInt32BE(group + 8);
    for (let code = start; code <= end; code++) add(code, gid + code - start);
  }
}

/**
 * Glyph id -> character. When several characters share a glyph the first one met wins, and the
 * subtables are read best first, so a full-repertoire table decides over a BMP-only one.
 */
export function glyphsToUnicode(font: Buffer): Map<number, string> {
  const out = new Map<number, string>();
  try {
    const cmap = tableOffset(font, 'cmap');
    if (cmap === undefined) return out;
    const add = (code: number, gid: number) => {
      if (gid !== 0 && !out.has(gid) && !isPrivateUse(code)) out.set(gid, String.fromCodePoint(code));
    };
    for (const at of unicodeSubtables(font, cmap)) {
      const format = font.readUInt16BE(at);
      if (format === 4) readFormat4(font, at, add);
      else if (format === 12) readFormat12(font, at, add);
    }
  } catch {
    // A truncated table gives what was read before the end: better than nothing for text.
  }
  return out;
}

function isPrivateUse(code: number): boolean {
  return (code >= 0xe000 && code <= 0xf8ff) || code >= 0xf0000 || (code >= 0xd800 && code <= 0xdfff);
}
