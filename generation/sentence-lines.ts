/**
 * Line breaks inside extracted text. PDF, hard-wrapped Markdown and e-mail text break lines in the
 * middle of sentences, and Intl.Segmenter ends a sentence at every line feed. Here each line feed
 * is judged: a soft one (the sentence goes on) becomes a space before segmenting, so offsets into
 * the stored text never move; a hard one (paragraph end, heading, list item, table row) stays.
 */

const BULLET = /^(?:[-*•·▪●◦‣–]\s|\d{1,3}[.)]\s|\(?[a-z]\)\s|\|)/u;
/** Table rows: cells split by pipes (Markdown) or tabs (spreadsheets, PDF tables). */
const TABLE_ROW = /\|.*\||\t/;
const HYPHENATED = /\p{L}-$/u;
const CONTINUES = /^[\p{Ll}(“"'‘,;:)\]]/u;
const SENTENCE_END = /[.!?。！？]["'”’)\]]*\d{0,2}$/u;
const OPEN_ENDED = /[,;:(–—&]$|\b(?:and|or|of|the|a|an|to|in|for|with|by)$/iu;
/** Scripts written without spaces: a wrapped line joins with nothing between the characters. */
const NO_SPACE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;

interface Line {
  start: number;
  end: number;
  text: string;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const cut = text.indexOf('\n', start);
    const end = cut < 0 ? text.length : cut;
    lines.push({ start, end, text: text.slice(start, end).trim() });
    if (cut < 0) return lines;
    start = cut + 1;
  }
}

/** The length of a full line in this text: lines much shorter than it end a paragraph or are headings. */
function fullLineLength(lines: Line[]): number {
  const lengths = lines.map((l) => l.text.length).filter((n) => n > 0);
  if (lengths.length < 3) return Math.max(0, ...lengths);
  lengths.sort((a, b) => a - b);
  return lengths[Math.floor(lengths.length * 0.75)] as number;
}

function isSoft(previous: string, next: string, full: number): boolean {
  if (!previous || !next) return false;
  if (BULLET.test(next) || TABLE_ROW.test(previous) || TABLE_ROW.test(next)) return false;
  if (HYPHENATED.test(previous) && /^\p{Ll}/u.test(next)) return true;
  if (CONTINUES.test(next) || OPEN_ENDED.test(previous)) return true;
  // A figure may go on the sentence ("in\n1999") unless the line before ended one ("benchmarks.1\n1 Introduction").
  if (/^\p{N}/u.test(next) && !SENTENCE_END.test(previous)) return true;
  return previous.length >= full * 0.7;
}

/** The text with each soft line feed replaced by a space: same length, same offsets. */
export function softenLineBreaks(text: string): string {
  if (!text.includes('\n')) return text;
  const lines = linesOf(text);
  const full = fullLineLength(lines);
  let out = '';
  let from = 0;
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i] as Line;
    if (!isSoft(line.text, (lines[i + 1] as Line).text, full)) continue;
    out += `${text.slice(from, line.end).replace(/\r$/, ' ')} `;
    from = line.end + 1;
  }
  return out + text.slice(from);
}

/**
 * A sentence as a reader should see it: wrapped lines joined, a word hyphenated at a line end
 * ("ef-\nficient") made whole again, a compound split there ("Lucene-\nBM25", "d-\ndimensional")
 * kept with its hyphen, runs of white space collapsed. Used for display and matching;
 * offsets keep pointing into the stored text.
 */
export function readableText(raw: string): string {
  return raw
    .replace(/(?<!\p{L})(\p{L})-[ \t]*\r?\n\s*(?=\p{L})/gu, '$1-')
    .replace(/(\p{Ll})-[ \t]*\r?\n\s*(\p{Ll})/gu, '$1$2')
    .replace(/(\p{L})-[ \t]*\r?\n\s*(?=[\p{Lu}\p{N}])/gu, '$1-')
    .replace(/\s*\n\s*/g, (gap, offset: number, whole: string) =>
      NO_SPACE.test(whole[offset - 1] ?? '') && NO_SPACE.test(whole[offset + gap.length] ?? '') ? '' : ' ',
    )
    .replace(/[ \t\u00a0]{2,}/g, ' ')
    .trim();
}
