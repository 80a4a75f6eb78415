import type { CairnError } from '../core/index.ts';
import type { ChatTurn, Generator } from '../models/types.ts';
import { callSignal, raceSignal, toGeneratorError } from './signals.ts';

export interface StreamOptions {
  maxTokens: number;
  temperature: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Each chunk as it arrives, with its log-probability where the backend reports one, and how many
   * tokens that log-probability sums over (a chunk may carry several).
   */
  onToken: (text: string, logprob?: number, logprobTokens?: number) => void;
}

export interface StreamOutcome {
  text: string;
  tokens: number;
  /** Mean log-probability of the tokens that reported one; null when none did. */
  meanLogprob: number | null;
  /** Set when the stream failed, timed out or was cancelled; text is what arrived before. */
  error: CairnError | null;
}

/** Streams an answer token by token; never throws and never outlives its deadline. */
export async function streamAnswer(generator: Generator, messages: ChatTurn[], options: StreamOptions): Promise<StreamOutcome> {
  const signal = callSignal(options.signal, options.timeoutMs);
  let text = '';
  let tokens = 0;
  let logprobSum = 0;
  let logprobCount = 0;
  let iterator: AsyncIterator<{ text: string; logprob?: number; logprobTokens?: number }> | undefined;
  try {
    iterator = generator
      .stream({ messages, maxTokens: options.maxTokens, temperature: options.temperature, signal })
      [Symbol.asyncIterator]();
    for (;;) {
      const next = await raceSignal(iterator.next(), signal);
      if (next.done) break;
      const { text: piece, logprob } = next.value;
      text += piece;
      tokens++;
      if (typeof logprob === 'number') {
        logprobSum += logprob;
        const covered = next.value.logprobTokens ?? 1;
        logprobCount += covered;
        options.onToken(piece, logprob, covered);
      } else options.onToken(piece);
    }
  } catch (error) {
    // Let a well-behaved backend release its sequence; do not wait on one that stalls.
    iterator?.return?.()?.catch(() => {});
    return { text, tokens, meanLogprob: mean(logprobSum, logprobCount), error: toGeneratorError(error, signal) };
  }
  return { text, tokens, meanLogprob: mean(logprobSum, logprobCount), error: null };
}

function mean(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}
