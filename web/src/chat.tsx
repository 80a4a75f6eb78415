import { useEffect, useRef, useState } from 'preact/hooks';
import type { AskStream, Citation } from '../../sdk/index.ts';
import { AnswerView } from './answer.tsx';
import { cairn, describeError } from './api.ts';
import { AskOptionsForm, askOptions, askParams } from './ask-options.tsx';
import { t } from './i18n.ts';
import { useSignal } from './signal.ts';
import { alsoAsk, chatId, chatsVersion, collections, current, openChat, setAlsoAsk } from './state.ts';
import { applyEvent, newTurn, type Turn, turnsOf } from './turns.ts';

export interface ChatProps {
  onCite: (citation: Citation) => void;
}

/** Loads the open chat's turns from the server whenever another chat is opened. */
function useStoredTurns(id: string | null, setTurns: (turns: Turn[]) => void, setError: (e: string | null) => void) {
  // The chat an answer just created is already on screen: no reload of what is streaming.
  const own = useRef<string | null>(null);
  useEffect(() => {
    if (!id) return setTurns([]);
    // Skipped once, for the switch the answer itself made; opened again later, the chat loads.
    if (own.current === id) {
      own.current = null;
      return;
    }
    let live = true;
    cairn.chats
      .get(id)
      .then((chat) => live && setTurns(turnsOf(chat)))
      .catch((error) => {
        if (!live) return;
        setError(describeError(error));
        openChat(null);
      });
    return () => {
      live = false;
    };
  }, [id]);
  return own;
}

export function ChatView({ onCite }: ChatProps) {
  const name = useSignal(current);
  const id = useSignal(chatId);
  const extra = useSignal(alsoAsk);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [error, setError] = useState<string | null>(null);
  const stream = useRef<AskStream | null>(null);
  const own = useStoredTurns(id, setTurns, setError);
  const abandoned = useRef<AskStream | null>(null);
  const end = useRef<HTMLDivElement>(null);
  const busy = turns.some((turn) => turn.state === 'streaming');

  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [turns]);

  async function ask(question: string) {
    if (!name || busy) return;
    setError(null);
    const index = turns.length;
    const targets = [name, ...extra.filter((c) => c !== name)];
    const params = { question, ...askParams(askOptions.get()), ...(id ? { chatId: id } : {}) };
    const answer = targets.length > 1 ? cairn.ask(targets, params) : cairn.ask(name, params);
    // Once the person opens another chat, this answer's events no longer belong on screen.
    const update = (change: (turn: Turn) => Turn) =>
      abandoned.current !== answer && setTurns((all) => all.map((turn, i) => (i === index ? change(turn) : turn)));
    setTurns((all) => [...all, newTurn(question)]);
    stream.current = answer;
    let storedIn: string | null = null;
    try {
      for await (const event of answer) {
        update((turn) => applyEvent(turn, event));
        if (event.type === 'done') storedIn = event.result.chatId;
      }
      update((turn) => (turn.state === 'streaming' ? { ...turn, state: 'done' } : turn));
    } catch (failure) {
      const stopped = stream.current === null;
      update((turn) => ({ ...turn, state: stopped ? 'stopped' : 'error', error: stopped ? null : describeError(failure) }));
    } finally {
      stream.current = null;
    }
    if (storedIn && abandoned.current !== answer) await refresh(storedIn);
  }

  /** After an answer, the stored chat is the truth: its turns carry the indexes feedback needs. */
  async function refresh(stored: string) {
    if (stored !== id) {
      own.current = stored;
      openChat(stored);
    }
    chatsVersion.set(chatsVersion.get() + 1);
    try {
      setTurns(turnsOf(await cairn.chats.get(stored)));
    } catch {
      // The answer is on screen already; a failed reload only loses the feedback buttons' index.
    }
  }

  function stop() {
    const running = stream.current;
    stream.current = null;
    running?.abort();
  }

  // Another chat opened (or a new one) while an answer streams: that answer stops.
  useEffect(() => {
    if (!stream.current) return;
    abandoned.current = stream.current;
    stop();
  }, [id]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && stream.current) stop();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  if (!name) return <section class="chat empty-state" aria-label={t('chats')} />;
  return (
    <section class="chat" aria-label={t('chats')}>
      <div class="turns" role="log" aria-live="polite" aria-busy={busy}>
        {turns.length === 0 && <p class="hint">{t('emptyChat')}</p>}
        {turns.map((turn, i) => (
          <AnswerView
            key={i}
            turn={turn}
            chatId={id}
            last={i === turns.length - 1}
            again={i > 0 && turns[i - 1]?.question === turn.question}
            busy={busy}
            onCite={onCite}
            onAsk={ask}
            onFeedback={(feedback) => setTurns((all) => all.map((x, j) => (j === i ? { ...x, feedback } : x)))}
          />
        ))}
        <div ref={end} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Composer busy={busy} onSend={ask} onStop={stop} />
    </section>
  );
}

function AskAcross() {
  const name = useSignal(current);
  const all = useSignal(collections);
  const extra = useSignal(alsoAsk);
  const others = all.filter((c) => c.name !== name);
  if (others.length === 0) return null;
  const toggle = (other: string, on: boolean) => setAlsoAsk(on ? [...extra, other] : extra.filter((c) => c !== other));
  return (
    <details class="ask-across">
      <summary>
        {t('askAcross')}
        {extra.length > 0 ? ` (+${extra.length})` : ''}
      </summary>
      {others.map((c) => (
        <label key={c.name}>
          <input type="checkbox" checked={extra.includes(c.name)} onChange={(e) => toggle(c.name, e.currentTarget.checked)} />
          {c.name}
        </label>
      ))}
    </details>
  );
}

function Composer({ busy, onSend, onStop }: { busy: boolean; onSend: (q: string) => void; onStop: () => void }) {
  const [text, setText] = useState('');
  const send = () => {
    const question = text.trim();
    if (!question || busy) return;
    setText('');
    onSend(question);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <div class="composer-options">
        <AskAcross />
        <AskOptionsForm />
      </div>
      <div class="composer-row">
        <textarea
          id="question"
          rows={2}
          value={text}
          placeholder={t('askPlaceholder')}
          aria-label={t('askPlaceholder')}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        {busy ? (
          <button type="button" class="stop" onClick={onStop}>
            {t('stop')}
          </button>
        ) : (
          <button type="submit" class="primary" id="send" disabled={!text.trim()}>
            {t('send')}
          </button>
        )}
      </div>
    </form>
  );
}
