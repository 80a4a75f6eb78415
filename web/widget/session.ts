import type { AnswerResult } from '../../sdk/index.ts';

/** One question and its answer, as kept for the visitor's tab session. */
export interface SavedTurn {
  question: string;
  result: AnswerResult;
}

export interface Conversation {
  chatId: string | null;
  turns: SavedTurn[];
}

const VISITOR_KEY = 'cairn-chat:visitor';

/** sessionStorage, or null where the page forbids it (sandboxed frames, strict privacy modes). */
export function safeSession(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** One id per browser tab session: the server limits and keeps chats per visitor session. */
export function visitorId(): string {
  const stored = safeSession()?.getItem(VISITOR_KEY);
  if (stored) return stored;
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  const id = `v_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  safeSession()?.setItem(VISITOR_KEY, id);
  return id;
}

export function loadConversation(key: string): Conversation {
  try {
    const saved = JSON.parse(safeSession()?.getItem(key) ?? 'null') as Conversation | null;
    return saved && Array.isArray(saved.turns) ? saved : { chatId: null, turns: [] };
  } catch {
    return { chatId: null, turns: [] };
  }
}

export function saveConversation(key: string, conversation: Conversation): void {
  try {
    safeSession()?.setItem(key, JSON.stringify(conversation));
  } catch {
    // A full or forbidden storage costs only the memory of this conversation.
  }
}

export function forgetConversation(key: string): void {
  safeSession()?.removeItem(key);
}
