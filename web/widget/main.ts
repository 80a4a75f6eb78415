import { CairnChat, setScriptServer } from './element.tsx';

/**
 * embed.js: defines <cairn-chat>, and when loaded by a script tag with data-collection and
 * data-key, adds a launcher to the page with the tag's other data-* settings.
 */
const script = document.currentScript as HTMLScriptElement | null;
if (script?.src) setScriptServer(new URL(script.src).origin);
if (!customElements.get('cairn-chat')) customElements.define('cairn-chat', CairnChat);

/** data-* names of the script tag → attributes of the element it adds. */
const SETTINGS: Record<string, string> = {
  collection: 'collection',
  key: 'api-key',
  server: 'server',
  title: 'chat-title',
  greeting: 'greeting',
  placeholder: 'placeholder',
  position: 'position',
  open: 'open',
  language: 'language',
  accentColor: 'accent-color',
  accentTextColor: 'accent-text-color',
  backgroundColor: 'background-color',
  textColor: 'text-color',
};

function mountLauncher(tag: HTMLScriptElement): void {
  const chat = document.createElement('cairn-chat');
  chat.setAttribute('mode', 'launcher');
  for (const [data, attribute] of Object.entries(SETTINGS)) {
    const value = tag.dataset[data];
    if (value !== undefined) chat.setAttribute(attribute, value);
  }
  document.body.append(chat);
}

if (script?.dataset.collection) {
  const tag = script;
  if (document.body) mountLauncher(tag);
  else document.addEventListener('DOMContentLoaded', () => mountLauncher(tag));
}
