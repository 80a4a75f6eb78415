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

/** Characters a BERT-family tokenizer makes one token each: CJK ideographs, kana, Hangul, Bopomofo, CJK and full-width punctuation. */
const CJK_TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef]/gu;
/** Words and single punctuation marks: a BERT-family tokenizer makes each at least one token. */
const WORD_OR_MARK = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Token count for budgeting where no tokenizer is at hand: each CJK character one token; other
 * text about 4 characters a token, but, for numbers, code and tables (denser than prose), no
 * fewer than its words and punctuation marks plus one in eight for words split in two.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  let cjk = 0;
  const rest = text.replace(CJK_TOKEN, () => {
    cjk++;
    return ' ';
  });
  const units = rest.match(WORD_OR_MARK)?.length ?? 0;
  return Math.max(1, Math.max(Math.ceil((text.length - cjk) / 4), Math.ceil(units * 1.125)) + cjk);
}
