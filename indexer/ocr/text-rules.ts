/**
 * Pure rules over OCR output: which engine's reading of a page to keep, and how its text is
 * normalised. The thresholds were measured on the reference scans (bench/ocr.ts).
 */

export interface EngineReading {
  engine: 'tesseract' | 'paddle';
  text: string;
  /** Mean confidence, 0..1. */
  confidence: number;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_GLOBAL = new RegExp(CJK.source, 'gu');
const LATIN_GLOBAL = /\p{Script=Latin}/gu;
const LETTER_GLOBAL = /\p{L}/gu;

/** tesseract (English) is kept at once when this sure of a Latin-script page: 0.94 on the prose scan, 0.86 on the table scan it half missed. */
export const TESSERACT_KEEP_CONFIDENCE = 0.9;
/** Share of Latin-script letters above which a page counts as Latin text. */
export const LATIN_PAGE_SHARE = 0.9;
/** A Latin token this long is almost always words run together (PaddleOCR drops spaces on justified lines). */
export const GLUED_TOKEN_LETTERS = 16;
/** Share of glued tokens above which a reading has lost its spaces. */
export const GLUED_PAGE_SHARE = 0.04;

export function latinShare(text: string): number {
  const letters = text.match(LETTER_GLOBAL)?.length ?? 0;
  if (letters === 0) return 0;
  return (text.match(LATIN_GLOBAL)?.length ?? 0) / letters;
}

export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

export function cjkCount(text: string): number {
  return text.match(CJK_GLOBAL)?.length ?? 0;
}

/** Share of Latin word tokens that are runs of several words without spaces. */
export function gluedShare(text: string): number {
  const tokens = text.split(/\s+/).filter((token) => /\p{Script=Latin}/u.test(token));
  if (tokens.length === 0) return 0;
  const glued = tokens.filter((token) => (token.match(LATIN_GLOBAL)?.length ?? 0) >= GLUED_TOKEN_LETTERS);
  return glued.length / tokens.length;
}

/** tesseract's reading is enough when it is sure and the page is Latin script: PaddleOCR is not run. */
export function keepTesseract(reading: EngineReading): boolean {
  return (
    reading.confidence >= TESSERACT_KEEP_CONFIDENCE &&
    latinShare(reading.text) >= LATIN_PAGE_SHARE &&
    gluedShare(reading.text) <= GLUED_PAGE_SHARE
  );
}

/**
 * With both readings: PaddleOCR's (CJK, tables: it found every body cell of the table scan that
 * tesseract missed), unless it is Latin text with its spaces lost and tesseract's has them.
 */
export function chooseReading(tesseract: EngineReading, paddle: EngineReading): EngineReading {
  if (paddle.text.trim() === '') return tesseract;
  const paddleLostSpaces = latinShare(paddle.text) >= LATIN_PAGE_SHARE && gluedShare(paddle.text) > GLUED_PAGE_SHARE;
  const tesseractUsable = tesseract.text.trim() !== '' && gluedShare(tesseract.text) <= GLUED_PAGE_SHARE;
  return paddleLostSpaces && tesseractUsable ? tesseract : paddle;
}

function toHalfWidth(char: string): string {
  return String.fromCharCode(char.charCodeAt(0) - 0xfee0);
}

/**
 * Full-width digits and letters become ASCII (PaddleOCR returns `２０１９`); full-width punctuation
 * stays on lines with CJK text, where it is the proper form (`甲方：…（盖章）`), and becomes ASCII elsewhere.
 */
export function normalizeWidth(line: string): string {
  const alnum = line.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, toHalfWidth);
  if (hasCjk(alnum)) return alnum.replace(/\u3000/g, ' ');
  return alnum.replace(/[\uFF01-\uFF5E]/g, toHalfWidth).replace(/\u3000/g, ' ');
}

/** Lines trimmed, runs of spaces made one, paragraph breaks kept as one blank line: the page text offsets point into. */
export function tidyLines(lines: string[]): string {
  return lines
    .map((line) =>
      normalizeWidth(line)
        .replace(/[ \t]+/g, ' ')
        .trim(),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
