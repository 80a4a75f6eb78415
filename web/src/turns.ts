import type { AnswerResult, AskEvent, ChatWithMessages, Citation } from '../../sdk/index.ts';

/** One question and its answer as the chat shows it. */
export interface Turn {
  question: string;
  /** Released text (passed the gate) while streaming; the final answer after. */
  answer: string;
  /** Unchecked draft text (draft streaming only): shown greyed, replaced by `final`. */
  draft: string;
  citations: Citation[];
  result: AnswerResult | null;
  state: 'streaming' | 'done' | 'stopped' | 'error';
  error: string | null;
  /** The assistant message's index in the stored chat, which feedback is addressed by. */
  messageIndex: number | null;
  feedback: { rating: 'up' | 'down'; comment: string | null } | null;
}

export function newTurn(question: string): Turn {
  return {
    question,
    answer: '',
    draft: '',
    citations: [],
    result: null,
    state: 'streaming',
    error: null,
    messageIndex: null,
    feedback: null,
  };
}

/** The turn after one stream event; events of types this app does not know change nothing. */
export function applyEvent(turn: Turn, event: AskEvent): Turn {
  switch (event.type) {
    case 'token':
      return event.draft ? { ...turn, draft: turn.draft + event.text } : { ...turn, answer: turn.answer + event.text };
    case 'citation':
      return { ...turn, citations: [...turn.citations.filter((c) => c.marker !== event.citation.marker), event.citation] };
    case 'final':
      return { ...turn, answer: event.answer, draft: '', citations: event.citations };
    case 'done':
      return {
        ...turn,
        answer: event.result.answer,
        draft: '',
        citations: event.result.citations ?? turn.citations,
        result: event.result,
        state: 'done',
      };
    case 'error':
      return { ...turn, result: event.result ?? null, state: 'error', error: `${event.error.code}: ${event.error.message}` };
    default:
      return turn;
  }
}

/** A stored chat as turns: each user message with the assistant message after it. */
export function turnsOf(chat: ChatWithMessages): Turn[] {
  const turns: Turn[] = [];
  chat.messages.forEach((message, index) => {
    if (message.role === 'user') turns.push({ ...newTurn(message.content), state: 'done' });
    const last = turns.at(-1);
    if (message.role !== 'assistant' || !last) return;
    const result = message.result as AnswerResult | null;
    last.answer = message.content;
    last.result = result;
    last.citations = result?.citations ?? [];
    last.messageIndex = index;
    const feedback = (message as { feedback?: { rating: 'up' | 'down'; comment: string | null } | null }).feedback;
    last.feedback = feedback ? { rating: feedback.rating, comment: feedback.comment } : null;
  });
  return turns;
}
