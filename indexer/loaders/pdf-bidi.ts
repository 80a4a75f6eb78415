/**
 * Right-to-left repair for text pdf.js has already reordered.
 *
 * pdf.js assumes a PDF stores RTL glyphs in visual order and reverses each RTL run character by
 * character. A ToUnicode entry that gives one glyph several characters (a ligature, or a whole
 * shaped cluster as cairo/WeasyPrint writes them) is in logical order already, so that reversal
 * scrambles it: `حَبيبي habibi` comes out as `habibi يبيبَح`. The file itself tells us what the
 * text should contain: those multi-character entries ("clusters"), which must appear verbatim in
 * the right reading. A line is changed only when a repaired reading contains more of them.
 */

const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const MARK = /\p{M}/u;

type BidiClass = 'L' | 'R' | 'NUM' | 'N';

function classOf(ch: string): BidiClass | 'NSM' {
  if (MARK.test(ch)) return 'NSM';
  if (/\p{Nd}/u.test(ch)) return 'NUM';
  if (/\p{L}/u.test(ch)) return RTL_LETTER.test(ch) ? 'R' : 'L';
  return 'N';
}

export function hasRtl(text: string): boolean {
  return RTL_LETTER.test(text);
}

/** Visual order puts an RTL mark before its base letter, so a mark takes its class from the right. */
function classesOf(chars: string[]): BidiClass[] {
  const raw = chars.map(classOf);
  return raw.map((c, i) => {
    if (c !== 'NSM') return c;
    const next = raw.slice(i + 1).find((n) => n !== 'NSM');
    if (next === 'R') return 'R';
    return raw.slice(0, i).findLast((p): p is BidiClass => p !== 'NSM') ?? 'N';
  });
}

/** Strong direction at each side of `i` (numbers read as R, the line edge as the base). */
function strongSide(classes: BidiClass[], i: number, step: 1 | -1, base: 'L' | 'R'): 'L' | 'R' {
  for (let j = i + step; j >= 0 && j < classes.length; j += step) {
    const c = classes[j]!;
    if (c === 'L') return 'L';
    if (c === 'R' || c === 'NUM') return 'R';
  }
  return base;
}

/** Embedding levels (rules W7, N1-N2, I1-I2 of the Unicode bidi algorithm, no explicit embeddings). */
function levelsOf(classes: BidiClass[], rtlBase: boolean): number[] {
  const base = rtlBase ? 'R' : 'L';
  return classes.map((c, i) => {
    let dir = c;
    if (c === 'N') {
      const before = strongSide(classes, i, -1, base);
      dir = before === strongSide(classes, i, 1, base) ? before : base;
    } else if (c === 'NUM') {
      const before = strongSide(classes, i, -1, base);
      dir = before === 'L' && (strongSide(classes, i, 1, base) === 'L' || !rtlBase) ? 'L' : 'NUM';
    }
    if (dir === 'L') return rtlBase ? 2 : 0;
    if (dir === 'R') return 1;
    return 2;
  });
}

/**
 * Reads a visually ordered line in logical order (rule L2 undone: reversing the same runs twice is
 * the identity). The base direction is RTL when at least 30% of strong letters are RTL, as in pdf.js.
 */
export function reorderVisualLine(line: string): string {
  const chars = Array.from(line);
  const classes = classesOf(chars);
  const rtl = classes.filter((c) => c === 'R').length;
  if (rtl === 0) return line;
  const levels = levelsOf(classes, rtl / (rtl + classes.filter((c) => c === 'L').length) >= 0.3);
  for (let level = Math.max(...levels); level >= 1; level--) {
    for (let i = 0; i < chars.length; i++) {
      if (levels[i]! < level) continue;
      let end = i;
      while (end < chars.length && levels[end]! >= level) end++;
      reverseRange(chars, i, end);
      reverseRange(levels, i, end);
      i = end;
    }
  }
  return chars.join('');
}

function reverseRange<T>(items: T[], start: number, end: number): void {
  const part = items.slice(start, end).reverse();
  items.splice(start, part.length, ...part);
}

/** Cluster texts worth checking: trimmed entries with at least three RTL letters. */
export function rtlClusters(destinations: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const text of destinations) {
    const trimmed = text.trim();
    if (Array.from(trimmed).filter((ch) => classOf(ch) === 'R').length >= 3) out.add(trimmed);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Puts back each purely RTL cluster that pdf.js reversed in place, keeping the words' order. */
export function unreverseClusters(line: string, clusters: string[]): string {
  const byReversed = new Map<string, string>();
  for (const cluster of clusters) {
    if (Array.from(cluster).every((ch) => classOf(ch) === 'R' || classOf(ch) === 'NSM')) {
      byReversed.set(Array.from(cluster).reverse().join(''), cluster);
    }
  }
  if (byReversed.size === 0) return line;
  const pattern = new RegExp([...byReversed.keys()].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
  return line.replace(pattern, (found) => byReversed.get(found) ?? found);
}

function score(line: string, clusters: string[]): number {
  return clusters.filter((cluster) => line.includes(cluster)).length;
}

/** The reading of `line` that keeps most clusters intact; pdf.js's own on a tie. */
export function repairRtlLine(line: string, clusters: string[]): string {
  if (clusters.length === 0 || !hasRtl(line)) return line;
  let best = line;
  let bestScore = score(line, clusters);
  for (const candidate of [unreverseClusters(line, clusters), reorderVisualLine(line)]) {
    const candidateScore = score(candidate, clusters);
    if (candidateScore > bestScore) [best, bestScore] = [candidate, candidateScore];
  }
  return best;
}
