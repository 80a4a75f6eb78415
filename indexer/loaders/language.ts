/**
 * A small language guess: the dominant script decides for most languages; Latin text is told
 * apart by the frequency of common short words. Good enough to pick a sentence segmenter locale
 * and a stemmer, not a classifier.
 */
const SCRIPTS: [RegExp, string][] = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/gu, 'ja'],
  [/\p{Script=Hangul}/gu, 'ko'],
  [/\p{Script=Han}/gu, 'zh'],
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Arabic}/gu, 'ar'],
  [/\p{Script=Hebrew}/gu, 'he'],
  [/\p{Script=Cyrillic}/gu, 'ru'],
  [/\p{Script=Greek}/gu, 'el'],
  [/\p{Script=Devanagari}/gu, 'hi'],
  [/\p{Script=Latin}/gu, 'latin'],
];

const STOPWORDS: Record<string, string[]> = {
  en: ['the', 'and', 'of', 'to', 'in', 'is', 'that', 'it', 'for', 'with', 'as', 'was', 'on', 'are', 'be', 'this', 'by'],
  es: ['el', 'la', 'de', 'que', 'y', 'en', 'los', 'las', 'del', 'por', 'con', 'una', 'para', 'es', 'se', 'su', 'al'],
  fr: ['le', 'la', 'les', 'de', 'des', 'et', 'est', 'un', 'une', 'du', 'que', 'en', 'pour', 'dans', 'qui', 'pas', 'sur'],
  de: ['der', 'die', 'das', 'und', 'ist', 'nicht', 'ein', 'eine', 'zu', 'den', 'mit', 'von', 'sich', 'des', 'auf', 'für', 'im'],
};

export function detectLanguage(text: string): string | null {
  const sample = text.slice(0, 20_000);
  let best: string | null = null;
  let bestCount = 0;
  let japaneseKana = 0;
  for (const [pattern, language] of SCRIPTS) {
    const count = sample.match(pattern)?.length ?? 0;
    if (language === 'ja') japaneseKana = count;
    if (count > bestCount) {
      best = language;
      bestCount = count;
    }
  }
  // Japanese mixes kanji (Han) with kana; a fair share of kana means Japanese, not Chinese.
  if (best === 'zh' && japaneseKana > bestCount * 0.1) return 'ja';
  if (best !== 'latin') return best;
  return guessLatin(sample);
}

function guessLatin(text: string): string | null {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length === 0) return null;
  let best: string | null = null;
  let bestScore = 0;
  for (const [language, list] of Object.entries(STOPWORDS)) {
    const set = new Set(list);
    const score = words.reduce((n, w) => n + (set.has(w) ? 1 : 0), 0);
    if (score > bestScore) {
      best = language;
      bestScore = score;
    }
  }
  return bestScore >= Math.max(2, words.length * 0.03) ? best : null;
}
