import { useRef, useState } from 'preact/hooks';
import { type AnswerResult, CairnError, type CairnErrorCode } from '../../sdk/index.ts';
import { type AnswerState, applyAnswerEvent, newAnswer } from '../shared/answer-state.ts';
import type { Strings } from './i18n.ts';
import { type Conversation, forgetConversation, loadConversation, saveConversation, visitorId } from './session.ts';
import { createWidgetClient, explain, isAbort } from './talk.ts';

/** A question and its answer on screen: streaming, done, stopped by the visitor, or refused. */
export interface LiveTurn {
  question: string;
  answer: AnswerState;
  phase: 'streaming' | 'done' | 'stopped' | 'refused';
  refusal: string;
}

export interface Where {
  server: string;
  collection: string;
  apiKey: string;
  storageKey: string;
}

function shownTurn(question: string, result: AnswerResult): LiveTurn {
  const answer = { ...newAnswer(), answer: result.answer, citations: result.citations, result };
  return { question, answer, phase: 'done', refusal: '' };
}

/** Streams one answer through the SDK into `show`; resolves with the result, throws a refusal. */
async function streamAnswer(
  where: Where,
  question: string,
  chatId: string | null,
  signal: AbortSignal,
  show: (a: AnswerState) => void,
) {
  const client = createWidgetClient(where.server, where.apiKey, visitorId());
  let state = newAnswer();
  for await (const event of client.ask(where.collection, { question, ...(chatId ? { chatId } : {}) }, { signal })) {
    state = applyAnswerEvent(state, event);
    if (state.error) throw new CairnError({ code: state.error.code as CairnErrorCode, message: state.error.message });
    show(state);
  }
  if (!state.result) throw new CairnError({ code: 'BAD_RESPONSE', message: 'The answer stream ended without a done event' });
  return state.result;
}

/** The conversation of one widget: kept for the tab session, one answer at a time. */
export function useConversation(where: Where, strings: Strings) {
  const [turns, setTurns] = useState<LiveTurn[]>(() =>
    loadConversation(where.storageKey).turns.map((t) => shownTurn(t.question, t.result)),
  );
  const [busy, setBusy] = useState(false);
  const controller = useRef<AbortController | null>(null);

  async function ask(question: string): Promise<void> {
    if (controller.current) return;
    const own = new AbortController();
    controller.current = own;
    const index = turns.length;
    const update = (change: (turn: LiveTurn) => LiveTurn) => setTurns((all) => all.map((t, i) => (i === index ? change(t) : t)));
    setTurns((all) => [...all, { question, answer: newAnswer(), phase: 'streaming', refusal: '' }]);
    setBusy(true);
    const saved: Conversation = loadConversation(where.storageKey);
    try {
      const result = await streamAnswer(where, question, saved.chatId, own.signal, (answer) => update((t) => ({ ...t, answer })));
      update(() => shownTurn(question, result));
      const chatId = (result as AnswerResult & { chatId?: string | null }).chatId ?? saved.chatId;
      saveConversation(where.storageKey, { chatId, turns: [...saved.turns, { question, result }] });
    } catch (error) {
      update((t) => (isAbort(error) ? { ...t, phase: 'stopped' } : { ...t, phase: 'refused', refusal: explain(error, strings) }));
    } finally {
      if (controller.current === own) controller.current = null;
      setBusy(false);
    }
  }

  const stop = () => controller.current?.abort();
  /** Forgets the conversation: a new chat starts with the next question. */
  const reset = () => {
    stop();
    forgetConversation(where.storageKey);
    setTurns([]);
  };
  return { turns, busy, ask, stop, reset };
}
