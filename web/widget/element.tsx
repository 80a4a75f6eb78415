import { render } from 'preact';
import { ChatWidget, type WidgetHandle, type WidgetSettings } from './chat-widget.tsx';
import { type Strings, stringsFor } from './i18n.ts';
import { STYLES } from './styles.ts';

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

/**
 * `<cairn-chat collection api-key server>`: a chat panel inline, or with `mode="launcher"` a
 * bubble in a corner that opens it. The conversation lasts as long as the visitor's tab session.
 * Preact renders it inside an open shadow root, so the page's styles and the widget's never meet.
 */
export class CairnChat extends HTMLElement {
  #handle: WidgetHandle | null = null;

  connectedCallback(): void {
    if (this.shadowRoot) return;
    for (const [attribute, property] of Object.entries(COLOURS)) {
      const value = this.getAttribute(attribute);
      if (value) this.style.setProperty(property, value);
    }
    const shadow = this.attachShadow({ mode: 'open' });
    const bind = (handle: WidgetHandle) => {
      this.#handle = handle;
    };
    render(
      <>
        <style>{STYLES}</style>
        <ChatWidget settings={this.#settings(stringsFor(this.getAttribute('language')))} bind={bind} />
      </>,
      shadow,
    );
  }

  disconnectedCallback(): void {
    this.#handle?.stop();
  }

  get server(): string {
    return (this.getAttribute('server') || scriptServer || location.origin).replace(/\/+$/, '');
  }

  /** Opens or closes the panel (launcher mode); for page scripts too. */
  toggle(open?: boolean): void {
    this.#handle?.toggle(open);
  }

  /** Forgets the conversation: a new chat starts with the next question. */
  reset(): void {
    this.#handle?.reset();
  }

  #settings(strings: Strings): WidgetSettings {
    const launcher = this.getAttribute('mode') === 'launcher';
    const collection = this.getAttribute('collection') ?? '';
    return {
      // `title` works too, but on an element it is also the browser's tooltip: `chat-title` is not.
      title: this.getAttribute('chat-title') ?? this.getAttribute('title') ?? strings.title,
      greeting: this.getAttribute('greeting') ?? strings.greeting,
      placeholder: this.getAttribute('placeholder') ?? strings.placeholder,
      launcher,
      startOpen: !launcher || (this.hasAttribute('open') && this.getAttribute('open') !== 'false'),
      position: this.getAttribute('position') === 'bottom-left' ? 'left' : 'right',
      strings,
      server: this.server,
      collection,
      apiKey: this.getAttribute('api-key') ?? '',
      storageKey: `cairn-chat:${this.server}|${collection}`,
    };
  }
}
