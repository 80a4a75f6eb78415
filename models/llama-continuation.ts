import {
  type ChatHistoryItem,
  type LlamaChat,
  LlamaCompletion,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { TokenCodec } from './fit-messages.ts';
import type { ChatTurn } from './types.ts';

/**
 * Graders continue the answer conversation so the KV cache already holds the passages and the
 * answer. That only works if the prompt's tokens match the cache: text re-tokenized from the
 * answer can differ from the tokens the model sampled (a random-weight fixture almost always
 * samples non-canonical pieces; real models sometimes do), and then everything after the first
 * difference is evaluated again. So a slot remembers the tokens of its last answer, and a request
 * quoting that answer as an assistant turn is evaluated with those exact tokens.
 */
export interface LastAnswer {
  /** The answer's text, trimmed, as callers quote it back. */
  text: string;
  tokens: Token[];
}

/** `text` is the answer as streamed to the caller, which is what the caller will quote back. */
export function rememberAnswer(model: LlamaModel, tokens: Token[], text: string): LastAnswer | null {
  const kept = tokens.filter((t) => !model.isEogToken(t));
  if (kept.length === 0 || text.trim() === '') return null;
  return { text: text.trim(), tokens: kept };
}

/** Token counts for fitting a conversation to the context: the quoted answer counts as the tokens it will be. */
export function quotedAnswerCodec(model: LlamaModel, last: LastAnswer): TokenCodec {
  return {
    tokenize: (text) => (text.trim() === last.text ? last.tokens : model.tokenize(text)),
    detokenize: (tokens) => model.detokenize(tokens as Token[]),
  };
}

export function quotesAnswer(messages: ChatTurn[], last: LastAnswer | null): boolean {
  return last !== null && last.text !== '' && messages.some((m) => m.role === 'assistant' && m.content.trim() === last.text);
}

/** The prompt's tokens with the quoted answer as sampled; null when it cannot be located, so the caller takes the plain path. */
export function spliceAnswerTokens(
  model: LlamaModel,
  chat: LlamaChat,
  history: ChatHistoryItem[],
  last: LastAnswer,
): Token[] | null {
  const { contextText } = chat.chatWrapper.generateContextState({ chatHistory: history });
  const full = contextText.tokenize(model.tokenizer);
  const quoted = model.tokenize(last.text, false, 'trimLeadingSpace');
  const at = lastIndexOf(full, quoted);
  if (at < 0) return null;
  return [...full.slice(0, at), ...last.tokens, ...full.slice(at + quoted.length)];
}

function lastIndexOf(haystack: Token[], needle: Token[]): number {
  if (needle.length === 0) return -1;
  outer: for (let i = haystack.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export interface ContinueOptions {
  maxTokens: number;
  temperature: number;
  signal?: AbortSignal | undefined;
  stop?: string[] | undefined;
  grammar?: LlamaGrammar | undefined;
  onText: (text: string) => void;
}

/** Generates from raw prompt tokens; LlamaCompletion keeps the sequence's matching prefix. */
export async function continueFromTokens(
  sequence: LlamaContextSequence,
  tokens: Token[],
  options: ContinueOptions,
): Promise<{ text: string; tokens: number }> {
  const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
  let count = 0;
  try {
    const result = await completion.generateCompletionWithMeta(tokens, {
      maxTokens: options.maxTokens,
      temperature: options.temperature,
      ...(options.signal ? { signal: options.signal, stopOnAbortSignal: true } : {}),
      ...(options.stop && options.stop.length > 0 ? { customStopTriggers: options.stop } : {}),
      ...(options.grammar ? { grammar: options.grammar } : {}),
      onTextChunk: options.onText,
      onToken: (t) => {
        count += t.length;
      },
    });
    return { text: result.response, tokens: count };
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}
