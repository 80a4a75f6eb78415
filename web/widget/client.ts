/** The widget's few calls: ask (server-sent events) with the embed key and the visitor's session id. */

export interface Citation {
  marker: number;
  title: string;
  source: string;
  page: number | null;
  quote: string;
  deleted?: boolean;
}

export interface Passage {
  title: string;
  source: string;
  text: string;
}

export interface AnswerResult {
  answer: string;
  decision: string;
  chatId: string | null;
  citations: Citation[];
  closestPassages?: Passage[];
}

export type AskEvent =
  | { type: 'text'; text: string; replace: boolean }
  | { type: 'status'; stage: 'searching' | 'checking' }
  | { type: 'done'; result: AnswerResult };

/** A refusal or failure the widget explains in words: its code, message and wait (429). */
export class WidgetError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

export interface AskOptions {
  server: string;
  collection: string;
  apiKey: string;
  visitor: string;
  question: string;
  chatId: string | null;
  signal: AbortSignal;
}

const VISITOR_KEY = 'cairn-chat:visitor';

/** One id per browser tab session: the server limits and keeps chats per visitor session. */
export function visitorId(): string {
  const stored = safeSession()?.getItem(VISITOR_KEY);
  if (stored) return stored;
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  const id = `v_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  safeSession()?.setItem(VISITOR_KEY, id);
  return id;
}

/** sessionStorage, or null where the page forbids it (sandboxed frames, strict privacy modes). */
export function safeSession(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

async function refusal(response: Response): Promise<WidgetError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const retry = Number(response.headers.get('retry-after'));
  return new WidgetError(
    body?.error?.code ?? `HTTP_${response.status}`,
    body?.error?.message ?? response.statusText,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}

/** Reads a text/event-stream body into {event, data} pairs. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: unknown }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

/**
 * Nothing ungated is shown: draft tokens are skipped, released text appended, and a `final`
 * event replaces whatever was shown with the gated answer.
 */
export function toAskEvent(event: string, data: Record<string, unknown>): AskEvent | null {
  if (event === 'token' && data.draft !== true && typeof data.text === 'string')
    return { type: 'text', text: data.text, replace: false };
  if (event === 'final' && typeof data.answer === 'string') return { type: 'text', text: data.answer, replace: true };
  if (event === 'retrieved') return { type: 'status', stage: 'searching' };
  if (event === 'reflection') return { type: 'status', stage: 'checking' };
  if (event === 'done' && data.result) return { type: 'done', result: data.result as AnswerResult };
  if (event === 'error') {
    const error = (data.error ?? {}) as { code?: string; message?: string };
    throw new WidgetError(error.code ?? 'INTERNAL', error.message ?? 'The answer failed');
  }
  return null;
}

export async function* ask(options: AskOptions): AsyncGenerator<AskEvent> {
  let response: Response;
  try {
    response = await fetch(`${options.server}/v1/collections/${encodeURIComponent(options.collection)}/ask`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-cairn-visitor': options.visitor,
      },
      body: JSON.stringify({ question: options.question, stream: true, ...(options.chatId ? { chatId: options.chatId } : {}) }),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new WidgetError('UNREACHABLE', (error as Error).message);
  }
  if (!response.ok || !response.body) throw await refusal(response);
  for await (const { event, data } of readEvents(response.body)) {
    const mapped = toAskEvent(event, (data ?? {}) as Record<string, unknown>);
    if (mapped) yield mapped;
  }
}
