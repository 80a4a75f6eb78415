import { useMemo, useState } from 'preact/hooks';
import type { Citation } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { t } from './i18n.ts';
import { Icon } from './icons.tsx';
import { renderAnswer } from './markdown.ts';
import type { Turn } from './turns.ts';
import { Verdict } from './verdict.tsx';

type Feedback = NonNullable<Turn['feedback']>;

export interface AnswerProps {
  turn: Turn;
  chatId: string | null;
  last: boolean;
  /** The same question as the turn before: a regenerated answer, kept in the chat like every turn. */
  again: boolean;
  busy: boolean;
  onCite: (citation: Citation) => void;
  onAsk: (question: string) => void;
  onFeedback: (feedback: Feedback) => void;
}

function Question({ turn, busy, onAsk }: Pick<AnswerProps, 'turn' | 'busy' | 'onAsk'>) {
  const [editing, setEditing] = useState<string | null>(null);
  if (editing !== null) {
    return (
      <form
        class="question editing"
        onSubmit={(e) => {
          e.preventDefault();
          if (!editing.trim()) return;
          setEditing(null);
          onAsk(editing.trim());
        }}
      >
        <textarea aria-label={t('edit')} value={editing} onInput={(e) => setEditing(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {t('resend')}
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            {t('cancel')}
          </button>
        </div>
      </form>
    );
  }
  return (
    <div class="question">
      <p>{turn.question}</p>
      <button type="button" class="link edit" disabled={busy} onClick={() => setEditing(turn.question)}>
        {t('edit')}
      </button>
    </div>
  );
}

function AnswerText({ turn, onCite }: Pick<AnswerProps, 'turn' | 'onCite'>) {
  const markers = turn.citations.map((c) => c.marker);
  const html = useMemo(() => renderAnswer(turn.answer, markers), [turn.answer, markers.join(',')]);
  const onClick = (event: MouseEvent) => {
    const chip = (event.target as HTMLElement).closest<HTMLElement>('button.cite');
    const citation = turn.citations.find((c) => String(c.marker) === chip?.dataset.marker);
    if (citation) onCite(citation);
  };
  return (
    <>
      {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: delegation for the chips inside, which are buttons */}
      <div class="markdown" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />
      {turn.draft && (
        <p class="draft" aria-hidden="true">
          {turn.draft}
        </p>
      )}
    </>
  );
}

function Sources({ turn, onCite }: Pick<AnswerProps, 'turn' | 'onCite'>) {
  if (turn.citations.length === 0) return null;
  return (
    <ol class="sources">
      {[...turn.citations]
        .sort((a, b) => a.marker - b.marker)
        .map((c) => (
          <li key={c.marker}>
            <button type="button" class="source-chip" onClick={() => onCite(c)} title={c.quote}>
              <span class="n">{c.marker}</span> {c.title || c.source}
              {c.page !== null && ` · ${t('sourcePage', { page: c.page })}`}
            </button>
          </li>
        ))}
    </ol>
  );
}

function Rate({ turn, chatId, onFeedback }: Pick<AnswerProps, 'turn' | 'chatId' | 'onFeedback'>) {
  const [asking, setAsking] = useState<'up' | 'down' | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!chatId || turn.messageIndex === null) return null;
  const index = turn.messageIndex;
  const send = async (rating: 'up' | 'down', text: string) => {
    try {
      const saved = await cairn.chats.feedback(chatId, index, { rating, ...(text ? { comment: text } : {}) });
      onFeedback({ rating: saved.rating, comment: saved.comment });
      setError(null);
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    }
  };
  // A thumb is stored at once; the comment, if any, follows and replaces it with the same rating.
  const rate = async (rating: 'up' | 'down') => {
    if (await send(rating, '')) setAsking(rating);
  };
  const current = turn.feedback?.rating;
  return (
    <span class="rate">
      <button
        type="button"
        class="icon"
        aria-pressed={current === 'up'}
        aria-label={t('goodAnswer')}
        title={t('goodAnswer')}
        onClick={() => rate('up')}
      >
        <Icon name="up" />
      </button>
      <button
        type="button"
        class="icon"
        aria-pressed={current === 'down'}
        aria-label={t('badAnswer')}
        title={t('badAnswer')}
        onClick={() => rate('down')}
      >
        <Icon name="down" />
      </button>
      {asking && (
        <form
          class="feedback"
          onSubmit={(e) => {
            e.preventDefault();
            void send(asking, comment.trim()).then((ok) => ok && setAsking(null));
          }}
        >
          <input
            aria-label={t('feedbackComment')}
            placeholder={t('feedbackComment')}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <button type="submit" class="primary">
            {t('send')}
          </button>
        </form>
      )}
      {turn.feedback && !asking && <span class="muted">{t('feedbackThanks')}</span>}
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

function Actions(props: AnswerProps) {
  const [copied, setCopied] = useState(false);
  const { turn } = props;
  if (turn.state === 'streaming') return null;
  const copy = async () => {
    await navigator.clipboard?.writeText(turn.answer).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="actions">
      <button type="button" class="link" onClick={copy}>
        {copied ? t('copied') : t('copy')}
      </button>
      {props.last && (
        <button type="button" class="link" disabled={props.busy} onClick={() => props.onAsk(turn.question)}>
          {t('regenerate')}
        </button>
      )}
      <Rate turn={turn} chatId={props.chatId} onFeedback={props.onFeedback} />
    </div>
  );
}

export function AnswerView(props: AnswerProps) {
  const { turn } = props;
  return (
    <article class="turn" aria-busy={turn.state === 'streaming'}>
      {props.again && <p class="muted regenerated-note">↻ {t('regeneratedNote')}</p>}
      <Question turn={turn} busy={props.busy} onAsk={props.onAsk} />
      <div class={`answer ${turn.state}`}>
        {turn.state === 'streaming' && !turn.answer && <p class="muted thinking">{t('thinking')}</p>}
        <AnswerText turn={turn} onCite={props.onCite} />
        {turn.state === 'stopped' && <p class="muted">{t('stopped')}</p>}
        {turn.error && (
          <p class="error" role="alert">
            {turn.error}
          </p>
        )}
        <Sources turn={turn} onCite={props.onCite} />
        {turn.result && <Verdict result={turn.result} onCite={props.onCite} />}
        <Actions {...props} />
      </div>
    </article>
  );
}
