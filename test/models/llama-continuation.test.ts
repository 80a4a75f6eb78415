import { getLlama, type Llama, LlamaChat, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  continueFromTokens,
  quotedAnswerCodec,
  quotesAnswer,
  rememberAnswer,
  spliceAnswerTokens,
} from '../../models/llama-continuation.ts';
import { writeTinyGguf } from '../fixtures/make-models.ts';
import { makeTempDir } from './helpers.ts';

/** A grader that quotes the last answer must find the sampled answer tokens still in the KV cache. */
const temp = makeTempDir('cairn-continuation-');
let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
  model = await llama.loadModel({ modelPath: writeTinyGguf(`${temp.dir}/tiny.gguf`) });
  context = await model.createContext({ contextSize: 1024, sequences: 1, threads: 1 });
}, 60_000);

afterAll(async () => {
  await context?.dispose();
  await model?.dispose();
  temp.cleanup();
});

describe('answer-token continuation (llama.cpp, tiny model)', () => {
  it('reuses the cached prompt and answer, evaluating only the grading turn', async () => {
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const sequence = chat.sequence;
    const sampled: number[] = [];
    let streamed = '';
    const prompt = [
      { type: 'system' as const, text: 'answer briefly' },
      { type: 'user' as const, text: 'what is the capital of france' },
    ];
    await chat.generateResponse([...prompt, { type: 'model', response: [] }], {
      maxTokens: 24,
      temperature: 0,
      onToken: (t) => sampled.push(...t),
      onTextChunk: (text) => {
        streamed += text;
      },
    });
    const last = rememberAnswer(model, sampled as never, streamed);
    expect(last).not.toBeNull();
    const answer = last?.text ?? '';
    const messages = [
      { role: 'user' as const, content: 'what is the capital of france' },
      { role: 'assistant' as const, content: answer },
    ];
    expect(quotesAnswer(messages, last)).toBe(true);
    expect(quotesAnswer([{ role: 'assistant', content: 'something else' }], last)).toBe(false);
    // Fitting the conversation to the context counts the quoted answer as the tokens it will be spliced as.
    const codec = quotedAnswerCodec(model, last as never);
    expect(codec.tokenize(` ${answer}\n`)).toEqual(last?.tokens);
    expect(codec.tokenize('grade it')).toEqual(model.tokenize('grade it'));
    const history = [
      ...prompt,
      { type: 'model' as const, response: [answer] },
      { type: 'user' as const, text: 'grade it' },
      { type: 'model' as const, response: [] },
    ];
    const cached = sequence.contextTokens.length;
    const spliced = spliceAnswerTokens(model, chat, history, last as never);
    expect(spliced).not.toBeNull();
    // Everything the sequence evaluated (prompt and the sampled answer) is a prefix of the grading prompt.
    expect(sequence.compareContextTokens(spliced ?? []).firstDifferentIndex).toBe(cached);
    const before = sequence.tokenMeter.usedInputTokens;
    const out = await continueFromTokens(sequence, spliced ?? [], { maxTokens: 3, temperature: 0, onText: () => {} });
    expect(out.tokens).toBeGreaterThan(0);
    expect(sequence.tokenMeter.usedInputTokens - before).toBeLessThanOrEqual((spliced ?? []).length - cached + out.tokens);
    chat.dispose();
  });
});
