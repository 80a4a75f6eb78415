import {
  type ChatHistoryItem,
  type Llama,
  LlamaChat,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { CairnError } from '../core/index.ts';
import { fitMessages } from './fit-messages.ts';
import { compactGbnfForSchema } from './json-gbnf.ts';
import {
  continueFromTokens,
  type LastAnswer,
  quotedAnswerCodec,
  quotesAnswer,
  rememberAnswer,
  spliceAnswerTokens,
} from './llama-continuation.ts';
import { createProbe, instrumentSequence, type LikelihoodProbe, meanLogprob, probedChunk } from './llama-likelihood.ts';
import { checkGgufFile } from './llama-runtime.ts';
import { createPushIterator } from './push-iterator.ts';
import type { ChatTurn, Completion, GeneratedToken, GenerateRequest, Generator, JsonSchema } from './types.ts';

export interface LlamaGeneratorOptions {
  llama: Llama;
  file: string;
  id: string;
  contextSize: number;
  sequences: number;
  /** 0 lets llama.cpp use every core. */
  threads: number;
}

const DEFAULT_MAX_TOKENS = 512;

/** A leased chat slot: one context sequence with its LlamaChat, reused across requests. */
interface Slot {
  chat: LlamaChat;
  /** The last answer generated on this slot, so graders quoting it reuse the KV cache (llama-continuation.ts). */
  last: LastAnswer | null;
  /** Records token probabilities while a free-text request runs (llama-likelihood.ts). */
  probe: LikelihoodProbe | null;
}

/**
 * A GGUF generator: one loaded model, one context with `sequences` slots; requests beyond that
 * wait in a FIFO queue. Chat templates come from the model (node-llama-cpp's "auto" wrapper).
 */
export async function loadLlamaGenerator(
  options: LlamaGeneratorOptions,
): Promise<Generator & { gpu: string | false; gpuLayers: number }> {
  checkGgufFile(options.file);
  let model: LlamaModel;
  let context: LlamaContext;
  try {
    model = await options.llama.loadModel({ modelPath: options.file, gpuLayers: 'auto' });
  } catch (error) {
    throw new CairnError('MODEL_CORRUPT', `GGUF file ${options.file} could not be loaded: ${(error as Error).message}`, {
      file: options.file,
    });
  }
  try {
    context = await model.createContext({
      contextSize: Math.min(options.contextSize, model.trainContextSize),
      sequences: options.sequences,
      ...(options.threads > 0 ? { threads: options.threads } : {}),
    });
  } catch (error) {
    await model.dispose();
    throw new CairnError('MODEL_LOAD_FAILED', `No context for ${options.file}: ${(error as Error).message}`, {
      file: options.file,
    });
  }
  const free: Slot[] = [];
  for (let i = 0; i < options.sequences; i++) {
    const slot: Slot = { chat: new LlamaChat({ contextSequence: context.getSequence() }), last: null, probe: null };
    instrumentSequence(slot.chat.sequence, () => slot.probe);
    free.push(slot);
  }
  const waiting: ((slot: Slot) => void)[] = [];
  /** A free slot, preferring the one whose cache holds the answer the request quotes. */
  const acquire = (messages: ChatTurn[]): Promise<Slot> => {
    const preferred = free.findIndex((s) => quotesAnswer(messages, s.last));
    const slot = preferred >= 0 ? free.splice(preferred, 1)[0] : free.pop();
    return slot ? Promise.resolve(slot) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next(slot);
    else free.push(slot);
  };
  const grammars = new Map<string, Promise<SchemaGrammar>>();
  const grammarFor = (schema: JsonSchema) => {
    const key = JSON.stringify(schema);
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar = createSchemaGrammar(options.llama, schema);
      grammars.set(key, grammar);
    }
    return grammar;
  };
  const generate: Generate = async (request, onToken, grammar) => {
    const budget = context.contextSize - (request.maxTokens ?? DEFAULT_MAX_TOKENS) - 16;
    const slot = await acquire(request.messages);
    const probe = grammar ? null : createProbe();
    slot.probe = probe;
    try {
      // A quoted answer costs its sampled tokens, not its re-tokenized text, so it is not cut needlessly.
      const codec = grammar && canSplice(slot, request.messages) ? quotedAnswerCodec(model, slot.last) : model;
      const messages = fitMessages(request.messages, codec, Math.max(16, budget));
      const onText = (text: string) => onToken(probe ? probedChunk(probe, text) : { text });
      const result = await runOnSlot(slot, model, { ...request, messages }, onText, grammar);
      const mean = probe ? meanLogprob(probe) : undefined;
      return mean === undefined ? result : { ...result, meanLogprob: mean };
    } finally {
      slot.probe = null;
      release(slot);
    }
  };
  return {
    id: options.id,
    parallel: options.sequences,
    gpu: options.llama.gpu,
    gpuLayers: model.gpuLayers,
    stream: (request) => streamTokens(request, generate),
    async complete(request, schema) {
      if (!schema) return generate(request, () => {});
      const { grammar, maxTokens } = await grammarFor(schema);
      // A bounded grammar cannot use more tokens than its longest output has bytes (plus end of text).
      const cap = maxTokens === null ? request.maxTokens : Math.min(request.maxTokens ?? maxTokens, maxTokens);
      const { text, tokens } = await generate(
        { ...request, ...(cap !== undefined ? { maxTokens: cap } : {}) },
        () => {},
        grammar,
      );
      return withJson(text, tokens);
    },
    async dispose() {
      for (const slot of free) slot.chat.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

type Generate = (
  request: GenerateRequest,
  onToken: (token: GeneratedToken) => void,
  grammar?: LlamaGrammar,
) => Promise<{ text: string; tokens: number; meanLogprob?: number }>;

/** Streams chunks as they come; a consumer that stops reading early cancels the generation. */
function streamTokens(request: GenerateRequest, generate: Generate): AsyncIterable<GeneratedToken> {
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  const push = createPushIterator<GeneratedToken>();
  generate({ ...request, signal }, (token) => push.push(token)).then(
    () => push.end(),
    (error) => push.fail(error),
  );
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const token of push.iterable) {
          // Chunks already buffered when the caller aborted are dropped, not delivered late.
          if (signal.aborted) return;
          yield token;
        }
      } finally {
        stop.abort();
      }
    },
  };
}

/**
 * Only grammar-bound requests (graders) continue from raw tokens: their grammar ends in end-of-text,
 * while free text needs LlamaChat's chat-template stop triggers.
 */
function canSplice(slot: Slot, messages: ChatTurn[]): slot is Slot & { last: LastAnswer } {
  return slot.last !== null && quotesAnswer(messages, slot.last);
}

/** Runs one request on a leased slot: from the quoted answer's exact tokens where possible, else through LlamaChat. */
async function runOnSlot(
  slot: Slot,
  model: LlamaModel,
  request: GenerateRequest,
  onText: (text: string) => void,
  grammar?: LlamaGrammar,
) {
  if (request.messages.length === 0) throw new CairnError('VALIDATION', 'A generate request needs at least one message');
  if (request.signal?.aborted) return { text: '', tokens: 0 };
  const history = toHistory(request.messages);
  const spliced = grammar && canSplice(slot, request.messages) ? spliceAnswerTokens(model, slot.chat, history, slot.last) : null;
  try {
    if (spliced) {
      return await continueFromTokens(slot.chat.sequence, spliced, {
        maxTokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
        temperature: request.temperature ?? 0,
        signal: request.signal,
        stop: request.stop,
        grammar,
        onText,
      });
    }
    const sampled: Token[] = [];
    let streamed = '';
    const collect = (text: string) => {
      streamed += text;
      onText(text);
    };
    const result = await runChat(slot.chat, history, request, collect, grammar, sampled);
    // Only free-text answers are quoted back by graders; a grammar-bound reply keeps the previous answer.
    if (!grammar && !request.signal?.aborted) slot.last = rememberAnswer(model, sampled, streamed);
    return result;
  } catch (error) {
    if (request.signal?.aborted) return { text: '', tokens: 0 };
    throw new CairnError('GENERATOR_FAILED', `Generation failed: ${(error as Error).message}`);
  }
}

async function runChat(
  chat: LlamaChat,
  history: ChatHistoryItem[],
  request: GenerateRequest,
  onText: (text: string) => void,
  grammar: LlamaGrammar | undefined,
  sampled: Token[],
) {
  const result = await chat.generateResponse(history, {
    maxTokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: request.temperature ?? 0,
    ...(request.signal ? { signal: request.signal, stopOnAbortSignal: true } : {}),
    ...(request.stop && request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
    ...(grammar ? { grammar } : {}),
    onTextChunk: onText,
    onToken: (t) => {
      sampled.push(...t);
    },
  });
  return { text: result.response, tokens: sampled.length };
}

function toHistory(messages: ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

/** A schema's grammar: compact GBNF where the schema allows it, node-llama-cpp's otherwise. */
interface SchemaGrammar {
  grammar: LlamaGrammar;
  /** Most tokens the grammar can produce, where it is bounded. */
  maxTokens: number | null;
}

async function createSchemaGrammar(llama: Llama, schema: JsonSchema): Promise<SchemaGrammar> {
  const compact = compactGbnfForSchema(schema);
  if (!compact) return { grammar: await llama.createGrammarForJsonSchema(schema as never), maxTokens: null };
  return {
    grammar: await llama.createGrammar({ grammar: compact.gbnf }),
    maxTokens: compact.maxBytes === null ? null : compact.maxBytes + 1,
  };
}

/** Output that is not JSON (a grammar cut short by maxTokens) comes back as text alone: the grader retries it. */
function withJson(text: string, tokens: number): Completion {
  try {
    return { text, tokens, json: JSON.parse(text) };
  } catch {
    return { text, tokens };
  }
}
