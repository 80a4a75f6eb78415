import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerDeps, formatCitations } from '../../cli/commands/ask.ts';
import { silentLogger } from '../../core/index.ts';
import type { AnswerResult } from '../../generation/index.ts';
import type { Reranker } from '../../models/index.ts';
import { createSqliteContract, openStore } from '../../store/index.ts';

const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-ask-cli-'));
const data = path.join(dir, 'data');
const ENV = {
  ...process.env,
  CAIRN_OFFLINE: '1',
  CAIRN_GENERATOR: 'none',
  CAIRN_EMBEDDER: 'none',
  CAIRN_RERANKER: 'none',
  CAIRN_LOG_LEVEL: 'error',
};

function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--data', data], { env: ENV, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  const store = openStore({ dataDir: data });
  store.collections.create({ name: 'default' });
  const text = 'Paris is the capital of France. It sits on the Seine river.';
  store.documents.write(
    {
      id: 'd1',
      collectionId: 'default',
      source: 'france.md',
      mime: 'text/markdown',
      title: 'France',
      language: 'en',
      contentHash: 'h',
      text,
      pages: [],
      metadata: {},
      tags: [],
      bytes: text.length,
    },
    [{ id: 'c1', ordinal: 0, text, start: 0, end: text.length, page: null, headings: [], tokenCount: 12, metadata: {} }],
  );
  store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cairn ask', () => {
  it('answers extractively with sources, says so, and continues a chat', async () => {
    const first = await cairn(['ask', 'What is the capital of France?']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'Paris is the capital of France. [1]\n\nsources:\n[1] france.md (chars 0-31): "Paris is the capital of France."\n',
    );
    expect(first.stderr).toContain(
      'note: No generator is available: the answer is extractive (sentences quoted from the documents).',
    );
    const chatId = /continue with --chat (chat_\w+)/.exec(first.stderr)?.[1] as string;
    expect(chatId).toMatch(/^chat_/);
    const second = await cairn(['ask', 'and its river?', '--chat', chatId, '--json']);
    expect(second.code).toBe(0);
    const { result } = JSON.parse(second.stdout);
    expect(result).toMatchObject({
      chatId,
      mode: 'extractive',
      standaloneQuestion: 'What is the capital of France? and its river?',
    });
    expect(result.citations[0]).toMatchObject({ source: 'france.md', start: 0, end: 31 });
    const store = openStore({ dataDir: data });
    expect(store.chats.messages(chatId)).toHaveLength(4);
    store.close();
  }, 60_000);

  it('refuses an empty question with a usage error', async () => {
    const out = await cairn(['ask', '  ']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('error: cairn ask needs a question: cairn ask "<question>"\n');
  }, 30_000);

  it('runs eval qa on a SQuAD file', async () => {
    const file = path.join(dir, 'squad.json');
    const context = 'The Eiffel Tower is 330 metres tall. Gustave Eiffel designed the tower.';
    const qas = [{ id: 'a', question: 'How tall is the Eiffel Tower?', answers: [{ text: '330 metres', answer_start: 20 }] }];
    writeFileSync(file, JSON.stringify({ version: '1.1', data: [{ title: 'T', paragraphs: [{ context, qas }] }] }));
    const out = await cairn(['eval', 'qa', file, '--limit', '5', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      questions: 1,
      mode: 'extractive',
      retrieval: 'oracle',
      answerable: { goldInAnswer: 1 },
    });
  }, 30_000);

  it('lists each label once: two quotes of one passage share its line, each label matches the text', () => {
    const cite = (marker: number, start: number, quote: string) => ({
      marker,
      chunkId: 'c1',
      documentId: 'd1',
      source: 'france.md',
      title: 'France',
      page: 2,
      start,
      end: start + quote.length,
      quote,
    });
    const result = {
      citations: [
        cite(1, 0, 'Paris is the capital of France.'),
        cite(1, 32, 'It sits on the Seine river.'),
        cite(2, 80, 'Lyon is second.'),
      ],
    } as AnswerResult;
    expect(formatCitations(result)).toEqual([
      '[1] france.md p.2 (chars 0-31, 32-59): "Paris is the capital of France." "It sits on the Seine river."',
      '[2] france.md p.2 (chars 80-95): "Lyon is second."',
    ]);
  });

  it('ranks citation spans with the loaded reranker, and by overlap without one', async () => {
    const asked: [string, string[]][] = [];
    const reranker = {
      id: 'fake-reranker',
      score: async (query: string, texts: string[]) => {
        asked.push([query, texts]);
        return texts.map((t) => t.length / 100);
      },
    } as unknown as Reranker;
    const store = openStore({ file: ':memory:' });
    const search = async () => ({ passages: [], notes: [], ran: {}, timings: {} }) as never;
    const base = { store: createSqliteContract(store), config: {} as never, logger: silentLogger };
    const deps = answerDeps(base, { generator: null, reranker }, search);
    expect(await deps.spanScorer?.('Paris is the capital.', ['ab', 'abcd'])).toEqual([0.02, 0.04]);
    expect(asked).toEqual([['Paris is the capital.', ['ab', 'abcd']]]);
    expect(answerDeps(base, { generator: null, reranker: null }, search).spanScorer).toBeNull();
    store.close();
  });
});
