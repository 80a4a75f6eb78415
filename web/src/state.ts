import type { CollectionView } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { signal } from './signal.ts';

/** The shared state of the app; everything else lives in the component that shows it. */
export const collections = signal<CollectionView[]>([]);
export const current = signal<string | null>(null);
export const chatId = signal<string | null>(null);
/** Extra collections an answer searches besides the current one. */
export const alsoAsk = signal<string[]>([]);
export const view = signal<'chat' | 'settings' | 'tables'>('chat');
export const drawerOpen = signal(false);
export const theme = signal<'light' | 'dark'>(initialTheme());
/** Bumped when documents change (ingest finished, delete), so lists reload. */
export const documentsVersion = signal(0);
export const chatsVersion = signal(0);
export const globalError = signal<string | null>(null);

function initialTheme(): 'light' | 'dark' {
  const stored = localStorage.getItem('cairn-theme');
  if (stored === 'light' || stored === 'dark') return stored;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** On the root element at once (not in an effect), so no frame shows the other theme. */
export function applyTheme(next: 'light' | 'dark'): void {
  document.documentElement.dataset.theme = next;
  theme.set(next);
}

export function setTheme(next: 'light' | 'dark'): void {
  localStorage.setItem('cairn-theme', next);
  applyTheme(next);
}

/** The open collection, chat and ask-across choices live in the URL's hash, so a reload (or a shared link) keeps them. */
export function readHash(): void {
  const params = new URLSearchParams(location.hash.slice(1));
  current.set(params.get('c'));
  chatId.set(params.get('chat'));
  alsoAsk.set(params.getAll('also'));
}

export function writeHash(): void {
  const params = new URLSearchParams();
  const name = current.get();
  const chat = chatId.get();
  if (name) params.set('c', name);
  if (chat) params.set('chat', chat);
  for (const other of alsoAsk.get()) params.append('also', other);
  history.replaceState(null, '', `#${params.toString()}`);
}

export function selectCollection(name: string | null): void {
  if (name !== current.get()) chatId.set(null);
  current.set(name);
  alsoAsk.set([]);
  writeHash();
}

export function setAlsoAsk(others: string[]): void {
  alsoAsk.set(others);
  writeHash();
}

export function openChat(id: string | null): void {
  chatId.set(id);
  writeHash();
}

export async function loadCollections(): Promise<void> {
  try {
    const list = await cairn.collections.list();
    collections.set(list);
    globalError.set(null);
    const name = current.get();
    if (!name || !list.some((c) => c.name === name)) selectCollection(list[0]?.name ?? null);
    // a collection deleted since the link was written is no longer asked
    const others = alsoAsk.get();
    if (others.some((other) => !list.some((c) => c.name === other))) {
      setAlsoAsk(others.filter((other) => list.some((c) => c.name === other)));
    }
  } catch (error) {
    globalError.set(describeError(error));
  }
}
