import { type AnswerResult, ask, safeSession, visitorId, WidgetError } from './client.ts';
import { type Strings, stringsFor } from './i18n.ts';
import { STYLES } from './styles.ts';
import { h, icon, renderAnswer, renderRefusal } from './view.ts';

interface Turn {
  question: string;
  result: AnswerResult;
}

interface Conversation {
  chatId: string | null;
  turns: Turn[];
}

/** Colour attributes, each the custom property it sets (the same ones a page may set in CSS). */
const COLOURS: Record<string, string> = {
  'accent-color': '--cairn-accent',
  'accent-text-color': '--cairn-accent-text',
  'background-color': '--cairn-background',
  'text-color': '--cairn-text',
};

let scriptServer = '';

/** Where embed.js was loaded from: the server an element talks to unless it names one. */
export function setScriptServer(origin: string): void {
  scriptServer = origin;
}

function explain(error: unknown, strings: Strings): string {
  if (!(error instanceof WidgetError)) return strings.failed(String((error as Error)?.message ?? error));
  if (error.code === 'ORIGIN_NOT_ALLOWED' || error.code === 'EMBED_ORIGIN_NOT_ALLOWED')
    return strings.notAllowed(location.origin);
  if (error.code === 'RATE_LIMITED') return strings.rateLimited(error.retryAfter ?? 30);
  if (error.code === 'UNAUTHORIZED') return strings.badKey;
  if (error.code === 'UNREACHABLE') return strings.unreachable;
  return strings.failed(error.message);
}

/**
 * `<cairn-chat collection api-key server>`: a chat panel inline, or with `mode="launcher"` a
 * bubble in a corner that opens it. The conversation lasts as long as the visitor's tab session.
 */
export class CairnChat extends HTMLElement {
  #strings: Strings = stringsFor(null);
  #log: HTMLElement | null = null;
  #panel: HTMLElement | null = null;
  #input: HTMLTextAreaElement | null = null;
  #send: HTMLButtonElement | null = null;
  #controller: AbortController | null = null;

  connectedCallback(): void {
    if (this.shadowRoot) return;
    this.#strings = stringsFor(this.getAttribute('language'));
    for (const [attribute, property] of Object.entries(COLOURS)) {
      const value = this.getAttribute(attribute);
      if (value) this.style.setProperty(property, value);
    }
    const shadow = this.attachShadow({ mode: 'open' });
    shadow.append(h('style', {}, STYLES), this.#build());
    this.#restore();
  }

  disconnectedCallback(): void {
    this.#controller?.abort();
  }

  get server(): string {
    return (this.getAttribute('server') || scriptServer || location.origin).replace(/\/+$/, '');
  }

  get #launcher(): boolean {
    return this.getAttribute('mode') === 'launcher';
  }

  #text(attribute: 'title' | 'greeting' | 'placeholder'): string {
    // `title` works too, but on an element it is also the browser's tooltip: `chat-title` is not.
    const given =
      attribute === 'title' ? (this.getAttribute('chat-title') ?? this.getAttribute('title')) : this.getAttribute(attribute);
    return given ?? this.#strings[attribute];
  }

  #build(): HTMLElement {
    const s = this.#strings;
    const startOpen = !this.#launcher || (this.hasAttribute('open') && this.getAttribute('open') !== 'false');
    this.#log = h('div', { className: 'log', role: 'log', 'aria-live': 'polite', part: 'log' });
    this.#input = h('textarea', { rows: 1, placeholder: this.#text('placeholder'), 'aria-label': this.#text('placeholder') });
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.#submit();
      }
    });
    this.#send = h('button', { type: 'submit', className: 'send' }, s.send);
    const form = h('form', {}, this.#input, this.#send);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });
    const header = h(
      'header',
      {},
      h('span', { className: 'title' }, this.#text('title')),
      h(
        'button',
        { type: 'button', className: 'reset', title: s.reset, 'aria-label': s.reset, onclick: () => this.reset() },
        icon('reset'),
      ),
      this.#launcher &&
        h('button', { type: 'button', title: s.close, 'aria-label': s.close, onclick: () => this.toggle(false) }, icon('close')),
    );
    this.#panel = h('section', {
      className: 'panel',
      role: 'dialog',
      'aria-label': this.#text('title'),
      part: 'panel',
      hidden: !startOpen,
    });
    this.#panel.append(header, this.#log, form, h('div', { className: 'brand' }, s.poweredBy));
    const launcher = h(
      'button',
      { type: 'button', className: 'launcher', 'aria-label': s.open, part: 'launcher', onclick: () => this.toggle() },
      icon('chat'),
    );
    const position = this.getAttribute('position') === 'bottom-left' ? 'left' : 'right';
    return h(
      'div',
      { className: 'root', 'data-mode': this.#launcher ? 'launcher' : 'inline', 'data-position': position },
      this.#launcher && launcher,
      this.#panel,
    );
  }

  /** Opens or closes the panel (launcher mode); `open()` from page scripts too. */
  toggle(open?: boolean): void {
    if (!this.#panel) return;
    this.#panel.hidden = !(open ?? this.#panel.hidden);
    if (!this.#panel.hidden) this.#input?.focus();
  }

  get #storageKey(): string {
    return `cairn-chat:${this.server}|${this.getAttribute('collection') ?? ''}`;
  }

  #load(): Conversation {
    try {
      const saved = JSON.parse(safeSession()?.getItem(this.#storageKey) ?? 'null') as Conversation | null;
      return saved && Array.isArray(saved.turns) ? saved : { chatId: null, turns: [] };
    } catch {
      return { chatId: null, turns: [] };
    }
  }

  #save(conversation: Conversation): void {
    try {
      safeSession()?.setItem(this.#storageKey, JSON.stringify(conversation));
    } catch {
      // A full or forbidden storage costs only the memory of this conversation.
    }
  }

  #restore(): void {
    this.#log?.replaceChildren(h('div', { className: 'msg bot greeting' }, this.#text('greeting')));
    for (const turn of this.#load().turns) {
      const bubble = this.#exchange(turn.question);
      renderAnswer(bubble, turn.result, this.#strings);
    }
  }

  /** Forgets the conversation: a new chat starts with the next question. */
  reset(): void {
    this.#controller?.abort();
    safeSession()?.removeItem(this.#storageKey);
    this.#restore();
  }

  #exchange(question: string): HTMLElement {
    const bubble = h('div', { className: 'msg bot' });
    this.#log?.append(h('div', { className: 'msg user' }, question), bubble);
    return bubble;
  }

  #busy(busy: boolean): void {
    if (!this.#send) return;
    this.#send.textContent = busy ? this.#strings.stop : this.#strings.send;
    this.#send.type = busy ? 'button' : 'submit';
    this.#send.onclick = busy ? () => this.#controller?.abort() : null;
  }

  #submit(): void {
    const question = this.#input?.value.trim() ?? '';
    if (question === '' || this.#controller) return;
    if (this.#input) this.#input.value = '';
    void this.#ask(question);
  }

  async #ask(question: string): Promise<void> {
    const bubble = this.#exchange(question);
    const status = h('div', { className: 'status' }, this.#strings.searching);
    const text = h('div', { className: 'text' });
    bubble.replaceChildren(status, text);
    const controller = new AbortController();
    this.#controller = controller;
    this.#busy(true);
    try {
      await this.#stream(question, controller.signal, status, text, bubble);
    } catch (error) {
      if ((error as Error).name === 'AbortError') status.textContent = this.#strings.stopped;
      else renderRefusal(bubble, explain(error, this.#strings));
    } finally {
      this.#controller = null;
      this.#busy(false);
      this.#log?.scrollTo({ top: this.#log.scrollHeight });
    }
  }

  async #stream(
    question: string,
    signal: AbortSignal,
    status: HTMLElement,
    text: HTMLElement,
    bubble: HTMLElement,
  ): Promise<void> {
    const conversation = this.#load();
    const collection = this.getAttribute('collection') ?? '';
    const apiKey = this.getAttribute('api-key') ?? '';
    const options = {
      server: this.server,
      collection,
      apiKey,
      visitor: visitorId(),
      question,
      chatId: conversation.chatId,
      signal,
    };
    for await (const event of ask(options)) {
      if (event.type === 'status')
        status.textContent = event.stage === 'searching' ? this.#strings.searching : this.#strings.checking;
      else if (event.type === 'text') text.textContent = event.replace ? event.text : text.textContent + event.text;
      else {
        renderAnswer(bubble, event.result, this.#strings);
        this.#save({
          chatId: event.result.chatId ?? conversation.chatId,
          turns: [...conversation.turns, { question, result: event.result }],
        });
      }
      this.#log?.scrollTo({ top: this.#log.scrollHeight });
    }
  }
}
