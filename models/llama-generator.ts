import {
  type ChatHistoryItem,
  type Llama,
  LlamaChat,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import { CairnError } from '../core/index.ts';
import { fitMessages } from './fit-messages.ts';
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
  for (let i = 0; i < options.sequences; i++) free.push({ chat: new LlamaChat({ contextSequence: context.getSequence() }) });
  const waiting: ((slot: Slot) => void)[] = [];
  const acquire = (): Promise<Slot> => {
    const slot = free.pop();
    return slot ? Promise.resolve(slot) : new Promise((resolve) => waiting.push(resolve));
  };
  const release = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next(slot);
    else free.push(slot);
  };
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  const grammarFor = (schema: JsonSchema) => {
    const key = JSON.stringify(schema);
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar = options.llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>;
      grammars.set(key, grammar);
    }
    return grammar;
  };
  const generate = async (request: GenerateRequest, onText: (text: string) => void, grammar?: LlamaGrammar) => {
    const budget = context.contextSize - (request.maxTokens ?? DEFAULT_MAX_TOKENS) - 16;
    const messages = fitMessages(request.messages, model, Math.max(16, budget));
    const slot = await acquire();
    try {
      return await runChat(slot.chat, { ...request, messages }, onText, grammar);
    } finally {
      release(slot);
    }
  };
  return {
    id: options.id,
    gpu: options.llama.gpu,
    gpuLayers: model.gpuLayers,
    stream: (request) => streamTokens(request, generate),
    async complete(request, schema) {
      const grammar = schema ? await grammarFor(schema) : undefined;
      const { text, tokens } = await generate(request, () => {}, grammar);
      return schema && grammar ? withJson(text, tokens, grammar, options.id) : { text, tokens };
    },
    async dispose() {
      for (const slot of free) slot.chat.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

type Generate = (request: GenerateRequest, onText: (text: string) => void) => Promise<{ text: string; tokens: number }>;

/** Streams chunks as they come; a consumer that stops reading early cancels the generation. */
function streamTokens(request: GenerateRequest, generate: Generate): AsyncIterable<GeneratedToken> {
  const stop = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
  const push = createPushIterator<GeneratedToken>();
  generate({ ...request, signal }, (text) => push.push({ text })).then(
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

async function runChat(chat: LlamaChat, request: GenerateRequest, onText: (text: string) => void, grammar?: LlamaGrammar) {
  if (request.messages.length === 0) throw new CairnError('VALIDATION', 'A generate request needs at least one message');
  if (request.signal?.aborted) return { text: '', tokens: 0 };
  let tokens = 0;
  try {
    const result = await chat.generateResponse(toHistory(request.messages), {
      maxTokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: request.temperature ?? 0,
      ...(request.signal ? { signal: request.signal, stopOnAbortSignal: true } : {}),
      ...(request.stop && request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
      ...(grammar ? { grammar } : {}),
      onTextChunk: onText,
      onToken: (t) => {
        tokens += t.length;
      },
    });
    return { text: result.response, tokens };
  } catch (error) {
    if (request.signal?.aborted) return { text: '', tokens };
    throw new CairnError('GENERATOR_FAILED', `Generation failed: ${(error as Error).message}`);
  }
}

function toHistory(messages: ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
  );
  history.push({ type: 'model', response: [] });
  return history;
}

function withJson(text: string, tokens: number, grammar: LlamaGrammar, id: string): Completion {
  try {
    return { text, tokens, json: JSON.parse(text) };
  } catch {
    void grammar;
    throw new CairnError('GENERATOR_FAILED', `Generator ${id} stopped before finishing its JSON output (raise maxTokens)`, {
      text,
    });
  }
}
