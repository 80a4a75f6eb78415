/**
 * Chinese, Japanese and English test documents for chunk budgets, built from fixed sentences so
 * they are long enough for many chunks and identical on every run.
 */
const ZH_SENTENCES = [
  '甲方：中国饮料有限公司（盖章）。',
  '本合同自双方签字之日起生效，有效期为三年。',
  '乙方应当在收到货物后七日内完成验收，并以书面形式通知甲方。',
  '如一方违约，应向守约方支付合同总金额百分之十的违约金。',
  '双方因履行本合同发生争议的，应友好协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。',
  '货物的所有权自交付之日起转移至乙方，风险同时转移。',
];

const JA_SENTENCES = [
  '吾輩は猫である。',
  '名前はまだ無い。',
  'どこで生れたかとんと見当がつかぬ。',
  '何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。',
  '吾輩はここで始めて人間というものを見た。',
  'しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。',
];

const EN_SENTENCES = [
  'The river runs past the old stone cairn at the foot of the mountain.',
  'Walkers add a stone for luck as they pass, and the pile grows each year.',
  'In 1887 the city council voted to protect the path, the bridge and the water mill.',
  'The model reads each paragraph, splits it into chunks and stores a vector for every chunk.',
  'Search answers a question with the passages that share its words and its meaning.',
  'Nobody knows who built the first cairn; some say shepherds, others say surveyors.',
];

/** `count` sentences cycling through the list, a paragraph break after every fifth. */
function cycle(sentences: string[], count: number, joiner: string): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(sentences[i % sentences.length] as string);
    if (i % 5 === 4) parts.push('\n\n');
    else if (joiner) parts.push(joiner);
  }
  return parts.join('');
}

/** About 3,000 characters of contract Chinese, then a run with no punctuation at all. */
export function chineseText(): string {
  return `${cycle(ZH_SENTENCES, 120, '')}\n\n${'无标点的长段落'.repeat(60)}`;
}

/** Natsume Sōseki's opening, kana-heavy, about 2,500 characters. */
export function japaneseText(): string {
  return cycle(JA_SENTENCES, 110, '');
}

const DENSE_LINES = [
  'See https://example.org/a/very/long/path?with=query&and=more#section-2 for details.',
  'const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);',
  '| 2023-01-05 | 12:34:56 | 1,234.50 | EUR | ok |',
];

/** About 8,000 characters of English prose, then links, code and a table: denser in tokens than prose. */
export function englishText(): string {
  return `${cycle(EN_SENTENCES, 110, ' ')}\n\n${cycle(DENSE_LINES, 40, '\n')}`;
}

/** Latin letters then CJK with no separator between or inside: density changes in the middle of one cut. */
export function mixedRun(): string {
  return `${'abcdefghij'.repeat(60)}${'中文字符混合'.repeat(60)}`;
}
