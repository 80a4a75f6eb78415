import type { ErrorCode } from '../core/index.ts';

/** The three model roles. Every backend implements one of these and nothing more. */

export type EmbedRole = 'query' | 'passage';

export interface Embedder {
  /** Stable id stored with each vector (model reference plus anything that changes its output). */
  readonly id: string;
  readonly dimensions: number;
  /** The model's maximum sequence length, special tokens included: longer inputs are truncated, never an error. */
  readonly maxTokens: number;
  /**
   * The most tokens of passage text (as `countTokens`, or the estimate, counts them) embedded whole:
   * `maxTokens` less the special tokens ([CLS]/[SEP]) and the passage prefix (e5's "passage: ") the
   * model adds around it. Chunk budgets are capped by this.
   */
  readonly maxPassageTokens: number;
  embed(texts: string[], role: EmbedRole): Promise<Float32Array[]>;
  /** Token count of the text alone (no special tokens, no prefix) with the model's own tokenizer; absent where the tokenizer is remote. */
  countTokens?(text: string): number;
  dispose?(): Promise<void>;
}

export interface Reranker {
  readonly id: string;
  /** One score per passage, in order; higher is better; sigmoid so comparable across calls. */
  score(query: string, passages: string[]): Promise<number[]>;
  dispose?(): Promise<void>;
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  messages: ChatTurn[];
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  signal?: AbortSignal;
}

export interface GeneratedToken {
  text: string;
  /**
   * Log-probability of the chunk where the backend reports it: the sum over its tokens (llama.cpp:
   * under the sampling distribution, so after temperature and top-k/top-p; OpenAI-compatible: as the
   * server reports them). Absent when the backend reports none, never 0 in its place.
   */
  logprob?: number;
  /** How many tokens `logprob` covers; 1 when absent. */
  logprobTokens?: number;
}

/** A JSON schema object, as accepted by llama.cpp grammars and OpenAI `response_format`. */
export type JsonSchema = Record<string, unknown>;

export interface Completion {
  text: string;
  /** Parsed JSON when a schema was given and the output parses; absent otherwise (callers validate and retry). */
  json?: unknown;
  tokens: number;
  /** Mean token log-probability where the backend reports it. */
  meanLogprob?: number;
}

export interface Generator {
  readonly id: string;
  /**
   * Requests it serves at once without queuing (node-llama-cpp: its context sequences). Absent means
   * one: gated answers then grade after the draft instead of alongside it.
   */
  readonly parallel?: number;
  stream(request: GenerateRequest): AsyncIterable<GeneratedToken>;
  complete(request: GenerateRequest, schema?: JsonSchema): Promise<Completion>;
  dispose?(): Promise<void>;
}

/** A model that could not be had is a value, not an exception: callers report what they ran without. */
export type Availability<T> = { ok: true; model: T } | { ok: false; code: ErrorCode; reason: string };
