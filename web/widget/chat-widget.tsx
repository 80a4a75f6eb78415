import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { AnswerText, ClosestPassages, Sources } from '../shared/citations.tsx';
import { type LiveTurn, useConversation, type Where } from './conversation.ts';
import type { Strings } from './i18n.ts';
import { Icon } from './icons.tsx';

export interface WidgetSettings extends Where {
  title: string;
  greeting: string;
  placeholder: string;
  /** A bubble in a corner that opens the panel, rather than the panel inline. */
  launcher: boolean;
  startOpen: boolean;
  position: 'left' | 'right';
  strings: Strings;
}

/** What the element's own methods reach from page scripts. */
export interface WidgetHandle {
  toggle: (open?: boolean) => void;
  reset: () => void;
  stop: () => void;
}

function Bubble({ turn, strings }: { turn: LiveTurn; strings: Strings }) {
  const { answer, phase } = turn;
  if (phase === 'refused') {
    return (
      <div class="msg bot refused" role="alert">
        <div class="text">{turn.refusal}</div>
      </div>
    );
  }
  const result = answer.result;
  if (phase === 'done' && result) {
    const abstained = result.decision === 'abstained';
    return (
      <div class={abstained ? 'msg bot abstained' : 'msg bot'}>
        {abstained && <div class="badge">{strings.abstained}</div>}
        <div class="text">
          <AnswerText text={result.answer} />
        </div>
        {abstained ? (
          <ClosestPassages passages={result.closestPassages ?? []} label={strings.closest} />
        ) : (
          <Sources citations={result.citations} label={strings.sources} />
        )}
      </div>
    );
  }
  // Only released text while streaming: drafts are never shown, and `final` replaces the text.
  const status = phase === 'stopped' ? strings.stopped : answer.stage === 'checking' ? strings.checking : strings.searching;
  return (
    <div class="msg bot">
      <div class="status">{status}</div>
      <div class="text">{answer.answer}</div>
    </div>
  );
}

interface ComposerProps {
  settings: WidgetSettings;
  busy: boolean;
  onSend: (question: string) => void;
  onStop: () => void;
  input: { current: HTMLTextAreaElement | null };
}

/** The question box: Enter sends, Shift+Enter adds a line; while an answer streams, Stop. */
function Composer({ settings, busy, onSend, onStop, input }: ComposerProps) {
  const submit = (event?: Event) => {
    event?.preventDefault();
    const field = input.current;
    const question = field?.value.trim() ?? '';
    if (!field || question === '' || busy) return;
    field.value = '';
    onSend(question);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  };
  return (
    <form onSubmit={submit}>
      <textarea ref={input} rows={1} placeholder={settings.placeholder} aria-label={settings.placeholder} onKeyDown={onKeyDown} />
      {busy ? (
        <button type="button" class="send" onClick={onStop}>
          {settings.strings.stop}
        </button>
      ) : (
        <button type="submit" class="send">
          {settings.strings.send}
        </button>
      )}
    </form>
  );
}

function Header({ settings, onReset, onClose }: { settings: WidgetSettings; onReset: () => void; onClose: () => void }) {
  const s = settings.strings;
  return (
    <header>
      <span class="title">{settings.title}</span>
      <button type="button" class="reset" title={s.reset} aria-label={s.reset} onClick={onReset}>
        <Icon name="reset" />
      </button>
      {settings.launcher && (
        <button type="button" title={s.close} aria-label={s.close} onClick={onClose}>
          <Icon name="close" />
        </button>
      )}
    </header>
  );
}

/** The chat panel (and, in launcher mode, its bubble), rendered inside the element's shadow root. */
export function ChatWidget({ settings, bind }: { settings: WidgetSettings; bind: (handle: WidgetHandle) => void }) {
  const { turns, busy, ask, stop, reset } = useConversation(settings, settings.strings);
  const [open, setOpen] = useState(settings.startOpen);
  const input = useRef<HTMLTextAreaElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const focusNext = useRef(false);
  const toggle = (next?: boolean) => {
    focusNext.current = true;
    setOpen((was) => next ?? !was);
  };
  useLayoutEffect(() => bind({ toggle, reset, stop }));
  useEffect(() => {
    if (open && focusNext.current) input.current?.focus();
    focusNext.current = false;
  }, [open]);
  useEffect(() => log.current?.scrollTo({ top: log.current.scrollHeight }), [turns]);
  const s = settings.strings;
  return (
    <div class="root" data-mode={settings.launcher ? 'launcher' : 'inline'} data-position={settings.position}>
      {settings.launcher && (
        <button type="button" class="launcher" aria-label={s.open} part="launcher" onClick={() => toggle()}>
          <Icon name="chat" />
        </button>
      )}
      <section class="panel" role="dialog" aria-label={settings.title} part="panel" hidden={!open}>
        <Header settings={settings} onReset={reset} onClose={() => toggle(false)} />
        <div class="log" role="log" aria-live="polite" part="log" ref={log}>
          <div class="msg bot greeting">{settings.greeting}</div>
          {turns.flatMap((turn) => [<div class="msg user">{turn.question}</div>, <Bubble turn={turn} strings={s} />])}
        </div>
        <Composer settings={settings} busy={busy} onSend={(q) => void ask(q)} onStop={stop} input={input} />
        <div class="brand">{s.poweredBy}</div>
      </section>
    </div>
  );
}
