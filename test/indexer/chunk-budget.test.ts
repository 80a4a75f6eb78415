import path from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateTokens, silentLogger } from '../../core/index.ts';
import { ingest } from '../../indexer/index.ts';
import { createModelRegistry, type Embedder, type ModelRegistry } from '../../models/index.ts';
import { loadOpenAiEmbedder } from '../../models/openai-embedder.ts';
import { bertSizedVocab, wordPieceTokenizerJson, writeBertFolder } from '../fixtures/bert-files.ts';
import { startFakeOpenAi } from '../models/fake-openai.ts';
import { makeTempDir, testConfig } from '../models/helpers.ts';
import { chineseText, englishText, japaneseText } from './chunk-budget-texts.ts';
import { createHarness, type Harness, ingestDeps } from './helpers.ts';

/**
 * A BERT-shaped model with a BERT-sized WordPiece vocabulary (kana, ##kana and CJK characters
 * included, as in multilingual BERT): one token per CJK character, 128 positions. Its folder is
 * named like multilingual-e5, so the embedder puts "passage: " before every passage.
 */
const SHAPE = { hidden: 32, layers: 2, heads: 4, intermediate: 64, maxPositions: 128 };
const PREFIX = 'passage: ';

const temp = makeTempDir();
const vocab = bertSizedVocab();
const tokenizer = new PreTrainedTokenizer(wordPieceTokenizerJson(vocab) as object, { do_lower_case: true });
const modelTokens = (text: string) => tokenizer.encode(text, { add_special_tokens: true }).length;
const textTokens = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length;
let registry: ModelRegistry;
let e5: Embedder;

beforeAll(async () => {
  const dir = writeBertFolder(path.join(temp.dir, 'multilingual-e5-cjk-tiny'), vocab, SHAPE, 'features', 31);
  registry = createModelRegistry({ config: testConfig(temp.dir), logger: silentLogger });
  const found = await registry.embedder(dir);
  if (!found.ok) throw new Error(found.reason);
  e5 = found.model;
}, 60_000);

afterAll(async () => {
  await registry.dispose();
  temp.cleanup();
});

const DOCUMENTS = [
  ['zh', chineseText()],
  ['ja', japaneseText()],
  ['en', englishText()],
] as const;

async function ingestAll(h: Harness): Promise<StoredChunk[][]> {
  const sources = DOCUMENTS.map(([language, text]) => ({ kind: 'text' as const, source: language, text }));
  const summary = await ingest(ingestDeps(h), { collection: 'budget', sources });
  expect(summary.failed).toEqual([]);
  return DOCUMENTS.map(([language, text]) => {
    const doc = h.store.documents.findBySource('budget', language);
    const chunks = h.store.chunks.byDocument(doc?.id ?? '');
    for (const c of chunks) expect(text.slice(c.start, c.end)).toBe(c.text);
    return chunks;
  });
}

type StoredChunk = { text: string; start: number; end: number; tokenCount: number };

/** The overlap ingest uses once the default 512/64 is fitted to the embedder. */
function overlapOf(embedder: Embedder): number {
  return Math.min(64, Math.floor(embedder.maxPassageTokens / 4));
}

/**
 * Chunks cover the text in order: nothing but whitespace is left between or around them, and
 * consecutive chunks share at most `overlap` tokens (whole pieces: a sentence longer than the
 * overlap is not repeated).
 */
function expectCoverage(text: string, chunks: StoredChunk[], overlap: number, count: (t: string) => number): void {
  expect(text.slice(0, chunks[0]?.start).trim()).toBe('');
  expect(text.slice(chunks.at(-1)?.end).trim()).toBe('');
  for (let i = 1; i < chunks.length; i++) {
    const [prev, cur] = [chunks[i - 1] as StoredChunk, chunks[i] as StoredChunk];
    expect(cur.start).toBeGreaterThan(prev.start);
    expect(cur.end).toBeGreaterThan(prev.end);
    if (cur.start >= prev.end) expect(text.slice(prev.end, cur.start).trim()).toBe('');
    else expect(count(text.slice(cur.start, prev.end))).toBeLessThanOrEqual(overlap);
  }
}

describe('the fixture tokenizer', () => {
  it('makes one token per CJK character and punctuation mark, as BERT tokenizers do', () => {
    expect(textTokens('今天天气很好，我们去公园。')).toBe(13);
    expect(textTokens('ひらがなとカタカナ、「漢字」。')).toBe(15);
  });
});

describe('chunks counted with the embedder tokenizer', () => {
  it('leaves room for the special tokens and the passage prefix', () => {
    expect(e5.maxTokens).toBe(128);
    expect(e5.maxPassageTokens).toBe(128 - modelTokens(PREFIX));
    expect(e5.countTokens?.('今天天气很好，我们去公园。')).toBe(13);
  });

  it('fills the model input exactly with a passage of maxPassageTokens tokens', () => {
    expect(modelTokens(PREFIX + '中'.repeat(e5.maxPassageTokens))).toBe(e5.maxTokens);
    expect(modelTokens(PREFIX + 'the '.repeat(e5.maxPassageTokens))).toBe(e5.maxTokens);
  });

  it('never exceeds the maximum sequence length on Chinese, Japanese and English, prefix and specials included', async () => {
    const h = createHarness({ embedder: e5 });
    try {
      const perDocument = await ingestAll(h);
      for (const [d, chunks] of perDocument.entries()) {
        expect(chunks.length).toBeGreaterThan(5);
        for (const c of chunks) {
          expect(modelTokens(PREFIX + c.text)).toBeLessThanOrEqual(128);
          expect(c.tokenCount).toBe(textTokens(c.text));
        }
        // Budgets are filled, not just respected: every chunk but a document's last holds over half of one.
        for (const c of chunks.slice(0, -1)) expect(c.tokenCount).toBeGreaterThan(e5.maxPassageTokens / 2);
        expectCoverage(DOCUMENTS[d]?.[1] ?? '', chunks, overlapOf(e5), textTokens);
      }
    } finally {
      h.cleanup();
    }
  }, 60_000);
});

describe('chunks sized in characters', () => {
  it('are still capped by what the embedder takes whole', async () => {
    const chunking = { splitter: 'auto' as const, size: 2000, overlap: 200, unit: 'chars' as const };
    const h = createHarness({ embedder: e5, config: { ingest: { chunking } } });
    try {
      for (const [d, chunks] of (await ingestAll(h)).entries()) {
        for (const c of chunks) {
          expect(modelTokens(PREFIX + c.text)).toBeLessThanOrEqual(128);
          expect(c.text.length).toBeLessThanOrEqual(2000);
        }
        expectCoverage(DOCUMENTS[d]?.[1] ?? '', chunks, Number.POSITIVE_INFINITY, textTokens);
      }
    } finally {
      h.cleanup();
    }
  }, 60_000);
});

describe('chunks counted with the estimate', () => {
  it('counts each CJK character and CJK punctuation mark as a token', () => {
    expect(estimateTokens('今天天气很好，我们去公园。')).toBe(13);
    expect(estimateTokens('ひらがなとカタカナ、「漢字」。')).toBe(15);
    expect(estimateTokens('한국어')).toBe(3);
    expect(estimateTokens('ㄅㄆㄇ')).toBe(3);
    // Dense non-prose text counts at least one token per number and mark.
    expect(estimateTokens('2023-01-05 12:34:56')).toBe(12);
  });

  it('keeps chunks for a server-side tokenizer within its input', async () => {
    // An OpenAI-compatible embedder has no tokenizer here, so the estimate counts; the server is a BERT model.
    const fake = await startFakeOpenAi();
    const client = { baseUrl: fake.url, apiKey: null, timeoutMs: 10_000 };
    const remote = await loadOpenAiEmbedder(client, 'fake-embed', { batchSize: 8, maxTokens: 128 });
    expect(remote.countTokens).toBeUndefined();
    const h = createHarness({ embedder: remote });
    try {
      for (const [d, chunks] of (await ingestAll(h)).entries()) {
        expect(chunks.length).toBeGreaterThan(5);
        for (const c of chunks) {
          expect(modelTokens(c.text)).toBeLessThanOrEqual(128);
          expect(c.tokenCount).toBe(estimateTokens(c.text));
        }
        expectCoverage(DOCUMENTS[d]?.[1] ?? '', chunks, overlapOf(remote), estimateTokens);
      }
    } finally {
      h.cleanup();
      await fake.close();
    }
  }, 60_000);

  it('keeps BM25-only chunks within the configured size by the estimate', async () => {
    const h = createHarness({ embedder: null });
    try {
      const perDocument = await ingestAll(h);
      for (const chunks of perDocument) {
        for (const c of chunks) expect(estimateTokens(c.text)).toBeLessThanOrEqual(512);
        for (const c of chunks) expect(c.tokenCount).toBe(estimateTokens(c.text));
      }
      // A Chinese chunk of "512 tokens" holds at most 512 characters, not 1,600.
      expect(Math.max(...(perDocument[0] ?? []).map((c) => c.text.length))).toBeLessThanOrEqual(512);
    } finally {
      h.cleanup();
    }
  }, 60_000);
});
