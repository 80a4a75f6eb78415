import { describe, expect, it } from 'vitest';
import { type ChunkingSettings, estimateTokens, isCairnError } from '../../core/index.ts';
import {
  headingPath,
  markdownToDocument,
  resolveSplitter,
  type SplitChunk,
  splitDocument,
  textToDocument,
} from '../../indexer/index.ts';
import { createHashEmbedder } from '../../models/index.ts';

const settings = (s: Partial<ChunkingSettings>): ChunkingSettings => ({
  splitter: 'recursive',
  size: 50,
  overlap: 0,
  unit: 'chars',
  ...s,
});

function expectExact(text: string, chunks: SplitChunk[]): void {
  for (const chunk of chunks) expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
}

const PROSE = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`).join(' ');
const PARAGRAPHS = ['Alpha beta gamma.', 'Delta epsilon zeta eta.', 'Theta iota kappa lambda mu.'].join('\n\n');

describe('recursive splitter', () => {
  it('keeps short text whole and trims it', () => {
    const doc = textToDocument('  hello world \n', 't');
    expect(splitDocument(doc, { chunking: settings({}) })).toEqual([
      { text: 'hello world', start: 2, end: 13, page: null, headings: [], tokenCount: 3 },
    ]);
  });

  it('splits at paragraph breaks first', () => {
    const chunks = splitDocument(textToDocument(PARAGRAPHS, 't'), { chunking: settings({ size: 30 }) });
    expect(chunks.map((c) => c.text)).toEqual(['Alpha beta gamma.', 'Delta epsilon zeta eta.', 'Theta iota kappa lambda mu.']);
    expectExact(PARAGRAPHS, chunks);
  });

  it('respects size and exact offsets on long prose, with overlap', () => {
    const chunks = splitDocument(textToDocument(PROSE, 't'), { chunking: settings({ size: 120, overlap: 40 }) });
    expect(chunks.length).toBeGreaterThan(10);
    expectExact(PROSE, chunks);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(120);
    for (let i = 1; i < chunks.length; i++) {
      const [prev, cur] = [chunks[i - 1] as SplitChunk, chunks[i] as SplitChunk];
      expect(cur.start).toBeLessThan(prev.end); // overlapping
      expect(cur.start).toBeGreaterThan(prev.start);
    }
    expect((chunks.at(-1) as SplitChunk).end).toBe(PROSE.length);
  });

  it('hard-cuts text without separators and never splits a surrogate pair', () => {
    const text = '😀'.repeat(100);
    const chunks = splitDocument(textToDocument(text, 't'), { chunking: settings({ size: 15 }) });
    expectExact(text, chunks);
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    for (const c of chunks) expect(c.text.length % 2).toBe(0);
  });

  it('counts tokens with the embedder tokenizer when given', () => {
    const embedder = createHashEmbedder(8);
    const chunks = splitDocument(textToDocument(PROSE, 't'), {
      chunking: settings({ unit: 'tokens', size: 20, overlap: 5 }),
      countTokens: (t) => embedder.countTokens?.(t) ?? 0,
    });
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(20);
    expect(chunks[0]?.tokenCount).toBe(embedder.countTokens?.(chunks[0]?.text ?? ''));
    expectExact(PROSE, chunks);
  });

  it('rejects overlap that reaches the size', () => {
    const error = (() => {
      try {
        splitDocument(textToDocument(PROSE, 't'), { chunking: settings({ size: 10, overlap: 10 }) });
      } catch (e) {
        return e;
      }
    })();
    expect(isCairnError(error, 'VALIDATION')).toBe(true);
  });

  it('enforces the chunk limit per document', () => {
    const error = (() => {
      try {
        splitDocument(textToDocument(PROSE, 't'), { chunking: settings({ size: 20 }), maxChunks: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(isCairnError(error, 'TOO_LARGE')).toBe(true);
  });
});

describe('sentence splitter', () => {
  it('splits English at sentence ends', () => {
    const text = 'First one here. Second one here! Third one?';
    const chunks = splitDocument(textToDocument(text, 't'), { chunking: settings({ splitter: 'sentence', size: 18 }) });
    expect(chunks.map((c) => c.text)).toEqual(['First one here.', 'Second one here!', 'Third one?']);
  });

  it('splits Chinese and Japanese sentences', () => {
    const zh = '今天天气很好。我们去公园散步吧！你觉得怎么样？';
    const chunks = splitDocument(
      { ...textToDocument(zh, 't'), language: 'zh' },
      { chunking: settings({ splitter: 'sentence', size: 9 }) },
    );
    expect(chunks.map((c) => c.text)).toEqual(['今天天气很好。', '我们去公园散步吧！', '你觉得怎么样？']);
    const ja = '吾輩は猫である。名前はまだ無い。';
    const jaChunks = splitDocument(
      { ...textToDocument(ja, 't'), language: 'ja' },
      { chunking: settings({ splitter: 'sentence', size: 9 }) },
    );
    expect(jaChunks.map((c) => c.text)).toEqual(['吾輩は猫である。', '名前はまだ無い。']);
  });

  it('splits Thai within the budget at word boundaries with exact offsets', () => {
    const th = 'ภาษาไทยเป็นภาษาที่ไม่มีการเว้นวรรคระหว่างคำ แต่เว้นวรรคระหว่างประโยค ผมชอบกินข้าวผัดมาก';
    const chunks = splitDocument(
      { ...textToDocument(th, 't'), language: 'th' },
      { chunking: settings({ splitter: 'token', size: 12 }) },
    );
    expectExact(th, chunks);
    expect(chunks.length).toBeGreaterThan(2);
  });
});

describe('token splitter', () => {
  it('makes windows of at most size tokens with overlap', () => {
    const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const count = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const chunks = splitDocument(textToDocument(text, 't'), {
      chunking: settings({ splitter: 'token', unit: 'tokens', size: 10, overlap: 3 }),
      countTokens: count,
    });
    expect(chunks[0]?.text).toBe('w0 w1 w2 w3 w4 w5 w6 w7 w8 w9');
    expect(chunks[1]?.text).toBe('w7 w8 w9 w10 w11 w12 w13 w14 w15 w16');
    expectExact(text, chunks);
  });
});

describe('markdown splitter', () => {
  const md =
    '# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n```sh\n# not a heading\nnpm install\n```\n\n## Use\n\n### Deep\n\nDeep text.\n';
  const doc = markdownToDocument(md, 'g.md');

  it('gives each chunk its heading path and never straddles a heading', () => {
    const chunks = splitDocument(doc, { chunking: settings({ splitter: 'auto', size: 200 }) });
    expect(chunks.map((c) => [c.text.split('\n')[0], c.headings])).toEqual([
      ['# Guide', ['Guide']],
      ['## Install', ['Guide', 'Install']],
      ['## Use', ['Guide', 'Use']],
      ['### Deep', ['Guide', 'Use', 'Deep']],
    ]);
    expectExact(md, chunks);
  });

  it('keeps fenced code whole when it fits', () => {
    const chunks = splitDocument(doc, { chunking: settings({ splitter: 'markdown', size: 40 }) });
    expect(chunks.map((c) => c.text)).toContain('```sh\n# not a heading\nnpm install\n```');
    expectExact(md, chunks);
  });

  it('picks markdown for markdown and recursive otherwise under auto', () => {
    expect(resolveSplitter(settings({ splitter: 'auto' }), 'markdown')).toBe('markdown');
    expect(resolveSplitter(settings({ splitter: 'auto' }), 'pdf')).toBe('recursive');
    expect(resolveSplitter(settings({ splitter: 'sentence' }), 'markdown')).toBe('sentence');
  });

  it('computes heading paths and pages from offsets', () => {
    const outline = [
      { offset: 0, level: 1, title: 'A' },
      { offset: 10, level: 2, title: 'B' },
      { offset: 20, level: 2, title: 'C' },
    ];
    expect(headingPath(outline, 15)).toEqual(['A', 'B']);
    expect(headingPath(outline, 25)).toEqual(['A', 'C']);
  });
});

describe('pages', () => {
  it('assigns each chunk the page its start falls on', () => {
    const text = 'Page one text.\n\nPage two text.';
    const doc = {
      ...textToDocument(text, 't'),
      pages: [
        { page: 1, start: 0, end: 14 },
        { page: 2, start: 16, end: 30 },
      ],
    };
    const chunks = splitDocument(doc, { chunking: settings({ size: 15 }) });
    expect(chunks.map((c) => [c.text, c.page])).toEqual([
      ['Page one text.', 1],
      ['Page two text.', 2],
    ]);
  });
});

describe('token budgets', () => {
  const tokens = (s: Partial<ChunkingSettings>) => settings({ unit: 'tokens', ...s });

  it('hard-cuts a run whose density changes (Latin, then CJK) within the budget', () => {
    const text = `${'abcdefghij'.repeat(60)}${'中文字符混合'.repeat(60)}`;
    const chunks = splitDocument(textToDocument(text, 't'), { chunking: tokens({ size: 100 }) });
    expectExact(text, chunks);
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    for (const c of chunks) expect(estimateTokens(c.text)).toBeLessThanOrEqual(100);
    // Pieces are as large as the budget allows, not cut to the densest part's width throughout.
    expect(chunks.length).toBe(Math.ceil(150 / 100) + Math.ceil(360 / 100));
  });

  it('re-splits a window whose joined text counts more than its pieces', () => {
    // A tokenizer whose count of joined text exceeds the sum of its parts: a paragraph break
    // between two words costs four tokens (as subword merges across a cut can in real tokenizers).
    const count = (t: string) => (t.match(/\S+/g)?.length ?? 0) + 4 * (t.match(/\S\s*\n\n\s*(?=\S)/g)?.length ?? 0);
    const text = Array.from({ length: 12 }, (_, i) => `p${i} one two three four five`).join('\n\n');
    const chunks = splitDocument(textToDocument(text, 't'), { chunking: tokens({ size: 20, overlap: 0 }), countTokens: count });
    expectExact(text, chunks);
    for (const c of chunks) expect(count(c.text)).toBeLessThanOrEqual(20);
    expect(chunks.map((c) => c.text).join('\n\n')).toBe(text);
  });

  it('caps chunks sized in characters at the embedder token budget too', () => {
    const text = `${PROSE}\n\n${'今天天气很好，我们去公园散步吧。'.repeat(20)}`;
    const chunks = splitDocument(textToDocument(text, 't'), { chunking: settings({ size: 300, overlap: 30 }), maxTokens: 100 });
    expectExact(text, chunks);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(c.tokenCount).toBeLessThanOrEqual(100);
    }
    // English (300 characters are about 75 tokens) is held by the characters, Chinese by the tokens.
    const english = chunks.filter((c) => !/\p{Script=Han}/u.test(c.text));
    const chinese = chunks.filter((c) => !/[a-z]/i.test(c.text));
    expect(Math.max(...english.map((c) => c.text.length))).toBeGreaterThan(250);
    expect(chinese.length).toBeGreaterThan(2);
    for (const c of chinese) expect(c.text.length).toBeLessThanOrEqual(100);
  });

  it('lowers a token size over the embedder token budget', () => {
    const chunks = splitDocument(textToDocument(PROSE, 't'), { chunking: tokens({ size: 100, overlap: 10 }), maxTokens: 30 });
    expectExact(PROSE, chunks);
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(30);
  });

  it('keeps a single character over the budget whole, surrogate pair included', () => {
    const text = '😀😀';
    const chunks = splitDocument(textToDocument(text, 't'), {
      chunking: tokens({ size: 1 }),
      countTokens: (t) => 2 * [...t].length,
    });
    expect(chunks.map((c) => c.text)).toEqual(['😀', '😀']);
  });
});
