import { useEffect, useState } from 'preact/hooks';
import type { Chat } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { t } from './i18n.ts';
import { Icon } from './icons.tsx';
import { useSignal } from './signal.ts';
import { chatId, chatsVersion, current, drawerOpen, openChat } from './state.ts';

/** Stored chats of the collection, newest first; titles come from each chat's first question. */
export function ChatHistory() {
  const name = useSignal(current);
  const open = useSignal(chatId);
  const version = useSignal(chatsVersion);
  const [chats, setChats] = useState<Chat[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  useEffect(() => {
    if (!name) return setChats([]);
    let live = true;
    cairn.chats.list({ collection: name }).then(
      (list) => {
        if (!live) return;
        setChats(list);
        setError(null);
      },
      (e) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [name, version]);
  const renamed = (failure: string | null) => {
    setRenaming(null);
    if (failure) setError(failure);
    else chatsVersion.set(chatsVersion.get() + 1);
  };
  const remove = async (chat: Chat) => {
    if (!confirm(t('confirmDeleteChat'))) return;
    try {
      await cairn.chats.delete(chat.id);
      if (chat.id === open) openChat(null);
      chatsVersion.set(chatsVersion.get() + 1);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <nav class="history" aria-label={t('chats')}>
      <button
        type="button"
        class="primary new-chat"
        onClick={() => {
          openChat(null);
          drawerOpen.set(false);
        }}
      >
        + {t('newChat')}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {chats.length === 0 && <p class="muted">{t('noChats')}</p>}
      <ul id="chat-list">
        {chats.map((chat) => (
          <li key={chat.id} class={chat.id === open ? 'active' : ''}>
            {renaming === chat.id ? (
              <RenameChat chat={chat} onDone={renamed} />
            ) : (
              <button
                type="button"
                class="chat-title"
                aria-current={chat.id === open ? 'page' : undefined}
                onClick={() => {
                  openChat(chat.id);
                  drawerOpen.set(false);
                }}
              >
                {chat.title || chat.id}
              </button>
            )}
            <button
              type="button"
              class="icon rename"
              aria-label={`${t('renameChat')}: ${chat.title}`}
              title={t('renameChat')}
              onClick={() => setRenaming(renaming === chat.id ? null : chat.id)}
            >
              ✎
            </button>
            <button type="button" class="icon" aria-label={`${t('delete')}: ${chat.title}`} onClick={() => remove(chat)}>
              <Icon name="trash" />
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A chat's title edited in place: Enter saves, Escape keeps the old one. */
function RenameChat({ chat, onDone }: { chat: Chat; onDone: (error: string | null) => void }) {
  const [title, setTitle] = useState(chat.title);
  const save = async (event: Event) => {
    event.preventDefault();
    const next = title.trim();
    if (!next || next === chat.title) return onDone(null);
    try {
      await cairn.chats.update(chat.id, { title: next });
      onDone(null);
    } catch (e) {
      onDone(describeError(e));
    }
  };
  return (
    <form class="rename-form" onSubmit={save}>
      <input
        aria-label={t('renameChat')}
        value={title}
        ref={(el) => el?.focus()}
        maxLength={200}
        onInput={(e) => setTitle(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          e.stopPropagation();
          onDone(null);
        }}
      />
      <button type="submit" class="primary">
        {t('save')}
      </button>
    </form>
  );
}
