/**
 * Text helpers shared by ingestion and retrieval. The search text of a chunk is its text with
 * words of scripts written without spaces (Chinese, Japanese, Thai…) separated by spaces, so the
 * FTS5 tokenizer and the in-memory BM25 see words on both the indexing and the query side.
 */
const NO_SPACE_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

const segmenters = new Map<string, Intl.Segmenter>();

function wordSegmenter(locale: string): Intl.Segmenter {
  let segmenter = segmenters.get(locale);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
    segmenters.set(locale, segmenter);
  }
  return segmenter;
}

export function hasNoSpaceScript(text: string): boolean {
  return NO_SPACE_SCRIPT.test(text);
}

/** Words separated by single spaces where the script needs it; other text is returned as is. */
export function toSearchText(text: string, locale = 'zh'): string {
  if (!hasNoSpaceScript(text)) return text;
  const parts: string[] = [];
  for (const { segment, isWordLike } of wordSegmenter(locale).segment(text)) {
    parts.push(isWordLike ? ` ${segment} ` : segment);
  }
  return parts.join('').replace(/ {2,}/g, ' ');
}

/** Rough token count for budgeting where no tokenizer is at hand (about 4 chars per token for Latin text). */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  const cjk = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu)?.length ?? 0;
  return Math.max(1, Math.ceil((text.length - cjk) / 4) + cjk);
}
