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
            <button type="button" class="icon" aria-label={`${t('delete')}: ${chat.title}`} onClick={() => remove(chat)}>
              <Icon name="trash" />
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
