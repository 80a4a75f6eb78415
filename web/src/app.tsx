import { useEffect, useRef, useState } from 'preact/hooks';
import type { Citation } from '../../sdk/index.ts';
import { keyNeeded, setKey } from './api.ts';
import { ChatView } from './chat.tsx';
import { CollectionPicker } from './collections.tsx';
import { Documents } from './documents.tsx';
import { ChatHistory } from './history.tsx';
import { lang, setLang, t } from './i18n.ts';
import { SettingsPage } from './settings.tsx';
import { useSignal } from './signal.ts';
import { type OpenSource, SourcePanel } from './source-panel.tsx';
import { current, drawerOpen, globalError, loadCollections, setTheme, theme, view } from './state.ts';
import { TablesPage } from './tables.tsx';

function KeyPrompt() {
  const [key, setValue] = useState('');
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setKey(key);
          void loadCollections();
        }}
      >
        <h2 id="key-title">{t('apiKeyPrompt')}</h2>
        <input
          id="api-key"
          type="password"
          ref={field}
          required
          aria-label={t('apiKey')}
          value={key}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          {t('useKey')}
        </button>
      </form>
    </div>
  );
}

function Header() {
  const dark = useSignal(theme) === 'dark';
  const language = useSignal(lang);
  const page = useSignal(view);
  const drawer = useSignal(drawerOpen);
  return (
    <header class="topbar">
      <button
        type="button"
        class="icon menu"
        aria-label={t('menu')}
        aria-controls="drawer"
        aria-expanded={drawer}
        onClick={() => drawerOpen.set(!drawerOpen.get())}
      >
        ☰
      </button>
      <h1>{t('appName')}</h1>
      <CollectionPicker />
      <div class="spacer" />
      <select
        aria-label={t('language')}
        id="language"
        value={language}
        onChange={(e) => setLang(e.currentTarget.value as 'en' | 'zh')}
      >
        <option value="en">EN</option>
        <option value="zh">中文</option>
      </select>
      <button
        type="button"
        class="icon"
        id="theme"
        aria-label={t('theme')}
        aria-pressed={dark}
        onClick={() => setTheme(dark ? 'light' : 'dark')}
      >
        {dark ? '☀' : '☾'}
      </button>
      <button
        type="button"
        class="icon"
        id="open-settings"
        aria-label={t('settings')}
        aria-pressed={page === 'settings'}
        onClick={() => view.set(page === 'settings' ? 'chat' : 'settings')}
      >
        ⚙
      </button>
    </header>
  );
}

/** An opened drawer takes the focus and Escape closes it; closing gives the focus back to ☰. */
function useDrawerFocus(open: boolean): void {
  useEffect(() => {
    if (!open || !matchMedia('(max-width: 800px)').matches) return;
    document.querySelector<HTMLElement>('#drawer button')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      drawerOpen.set(false);
      document.querySelector<HTMLElement>('.topbar .menu')?.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [open]);
}

export function App() {
  useSignal(lang);
  const name = useSignal(current);
  const page = useSignal(view);
  const drawer = useSignal(drawerOpen);
  const needKey = useSignal(keyNeeded);
  const error = useSignal(globalError);
  const [source, setSource] = useState<OpenSource | null>(null);
  useDrawerFocus(drawer);
  useEffect(() => setSource(null), [name]);
  const cite = (citation: Citation) => {
    const named = (citation as { collection?: string }).collection;
    setSource({ citation, collection: named ?? name ?? '' });
    drawerOpen.set(false);
  };
  return (
    <div class={`layout${drawer ? ' drawer-open' : ''}${source ? ' with-source' : ''}`}>
      <Header />
      {error && (
        <p class="error banner" role="alert">
          {error}
        </p>
      )}
      <aside class="sidebar" id="drawer" aria-label={t('documents')}>
        <ChatHistory />
        <Documents onOpen={cite} />
      </aside>
      {drawer && <button type="button" class="scrim" aria-label={t('close')} onClick={() => drawerOpen.set(false)} />}
      <main class="main">
        {page === 'settings' ? <SettingsPage /> : page === 'tables' ? <TablesPage /> : <ChatView onCite={cite} />}
      </main>
      {source && <SourcePanel open={source} onClose={() => setSource(null)} />}
      {needKey && <KeyPrompt />}
    </div>
  );
}
