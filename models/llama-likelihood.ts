import type { LlamaContextSequence, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import type { GeneratedToken } from './types.ts';

/**
 * Token probabilities from llama.cpp for free-text answers. LlamaChat streams text only, but it
 * samples through `sequence.evaluate`, which node-llama-cpp implements as
 * `evaluateWithMetadata(tokens, {}, options)` with the metadata dropped. A slot's sequence gets the
 * same wrapper asking for `confidence` (the sampled token's probability under the sampling
 * distribution: after temperature and top-k/top-p, the model's own probability at temperature 0)
 * while a probe is attached. No second pass over the answer, and no change to what is sampled.
 * Grammar-bound requests (graders) run without a probe: asking for confidence makes llama.cpp
 * apply the grammar to the whole vocabulary before every sample, which is slower.
 */
export interface LikelihoodProbe {
  /** Log-probabilities of the tokens sampled since the last text chunk. */
  pending: number[];
  /** Log-probabilities of the tokens whose text has been delivered. */
  delivered: number[];
}

export function createProbe(): LikelihoodProbe {
  return { pending: [], delivered: [] };
}

/** Routes a sequence's sampling through the probe `current()` returns, when there is one. */
export function instrumentSequence(sequence: LlamaContextSequence, current: () => LikelihoodProbe | null): void {
  const plain = sequence.evaluate.bind(sequence);
  sequence.evaluate = (tokens: Token[], options?: SequenceEvaluateOptions) => {
    const probe = current();
    return probe ? probedEvaluate(sequence, tokens, options ?? {}, probe) : plain(tokens, options);
  };
}

/** node-llama-cpp's own `evaluate`, with the confidence of each sampled token recorded. */
async function* probedEvaluate(
  sequence: LlamaContextSequence,
  tokens: Token[],
  options: SequenceEvaluateOptions,
  probe: LikelihoodProbe,
): AsyncGenerator<Token, void, Token | Token[] | undefined> {
  const iterator = sequence.evaluateWithMetadata(tokens, { confidence: true }, options);
  let input: Token | Token[] | undefined;
  try {
    while (true) {
      const { value, done } = await iterator.next(input);
      if (done) return;
      if (value.confidence > 0) probe.pending.push(Math.log(value.confidence));
      input = yield value.token;
    }
  } finally {
    await iterator.return();
  }
}

/**
 * A text chunk with the log-probability of the tokens sampled for it. Tokens whose text never
 * arrives (end of text, a stop trigger) are left out, as OpenAI-compatible servers leave them out.
 */
export function probedChunk(probe: LikelihoodProbe, text: string): GeneratedToken {
  const values = probe.pending.splice(0);
  if (values.length === 0) return { text };
  probe.delivered.push(...values);
  const logprob = values.reduce((a, b) => a + b, 0);
  return values.length === 1 ? { text, logprob } : { text, logprob, logprobTokens: values.length };
}

export function meanLogprob(probe: LikelihoodProbe): number | undefined {
  const n = probe.delivered.length;
  return n === 0 ? undefined : probe.delivered.reduce((a, b) => a + b, 0) / n;
}
