import type { ChatTurn } from './types.ts';

export interface TokenCodec {
  tokenize(text: string): readonly unknown[];
  detokenize(tokens: readonly unknown[]): string;
}

/** Tokens kept free for the chat template's own markers per message. */
const PER_MESSAGE_OVERHEAD = 8;

/**
 * Cuts the longest messages (tail first removed) until the conversation fits `budget` tokens, so a
 * 100k-character input is truncated instead of failing the context. The system turn is cut last.
 */
export function fitMessages(messages: ChatTurn[], codec: TokenCodec, budget: number): ChatTurn[] {
  const counts = messages.map((m) => codec.tokenize(m.content).length + PER_MESSAGE_OVERHEAD);
  let total = counts.reduce((a, b) => a + b, 0);
  if (total <= budget) return messages;
  const out = messages.map((m) => ({ ...m }));
  const order = out
    .map((m, i) => ({ i, system: m.role === 'system' }))
    .sort((a, b) => Number(a.system) - Number(b.system) || (counts[b.i] ?? 0) - (counts[a.i] ?? 0));
  for (const { i } of order) {
    if (total <= budget) break;
    const turn = out[i] as ChatTurn;
    const tokens = codec.tokenize(turn.content);
    const keep = Math.max(0, tokens.length - (total - budget));
    turn.content = codec.detokenize(tokens.slice(0, keep));
    total -= tokens.length - keep;
  }
  return out;
}
