import { AuthError, Cairn, type CairnError, PermissionDeniedError } from '../../sdk/index.ts';
import { type StringKey, t } from './i18n.ts';
import { signal } from './signal.ts';

const KEY_STORAGE = 'cairn-key';

/** Whether the server refused us for want of a (valid) key: the app then asks for one. */
export const keyNeeded = signal(false);

function createClient(): Cairn {
  return new Cairn({ apiKey: localStorage.getItem(KEY_STORAGE), maxRetries: 1 });
}

/** The one client of the app: every request to the server goes through the SDK. */
export let cairn = createClient();

export function setKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key.trim());
  else localStorage.removeItem(KEY_STORAGE);
  cairn = createClient();
  keyNeeded.set(false);
}

export function hasStoredKey(): boolean {
  return localStorage.getItem(KEY_STORAGE) !== null;
}

/** A failure as the user should read it: the server's code and message, and the request id to quote. */
export function describeError(error: unknown): string {
  const e = error as Partial<CairnError> & { message?: string };
  if (error instanceof AuthError) keyNeeded.set(true);
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  const requestId = typeof e.requestId === 'string' ? ` (${e.requestId})` : '';
  return `${code}${e.message ?? String(error)}${requestId}`;
}

export function isDenied(error: unknown): boolean {
  return error instanceof PermissionDeniedError || error instanceof AuthError;
}

/** A job's status word. */
export function jobWord(status: string): string {
  const words: Record<string, StringKey> = {
    queued: 'jobQueued',
    running: 'jobRunning',
    succeeded: 'jobSucceeded',
    failed: 'jobFailed',
    cancelled: 'jobCancelled',
  };
  const key = words[status];
  return key ? t(key) : status;
}
