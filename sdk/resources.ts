import { AskStream } from './ask-stream.ts';
import { type Call, type RequestOptions, type Resolved, readJson, send } from './http.ts';
import { readSse } from './sse.ts';
import type {
  AskParams,
  Chat,
  ChatWithMessages,
  CollectionView,
  CreateCollectionParams,
  Deleted,
  DocumentList,
  DocumentText,
  DocumentWithChunks,
  Feedback,
  FeedbackParams,
  Job,
  JobAccepted,
  JobEvent,
  JobProgressEvent,
  ListChatsParams,
  ListDocumentsParams,
  MultiAskParams,
  MultiSearchParams,
  ReingestParams,
  SearchParams,
  SearchResult,
  UpdateChatParams,
  UpdateCollectionParams,
} from './types.ts';
import { type AddDocumentParams, type FileInput, filesForm, newIdempotencyKey } from './uploads.ts';

const enc = encodeURIComponent;

/** What every resource needs: the options and one way to send. */
export class Transport {
  constructor(readonly config: Resolved) {}

  json<T>(call: Call): Promise<T> {
    return send(this.config, call, readJson<T>);
  }

  /** The response once its headers are in; its body is the caller's to read. */
  response(call: Call): Promise<Response> {
    return send(this.config, call, async (response) => response);
  }
}

export class Collections {
  constructor(private readonly http: Transport) {}

  create(params: CreateCollectionParams, options?: RequestOptions): Promise<CollectionView> {
    return this.http.json({ method: 'POST', path: '/v1/collections', body: params, options });
  }

  async list(options?: RequestOptions): Promise<CollectionView[]> {
    const body = await this.http.json<{ collections: CollectionView[] }>({ method: 'GET', path: '/v1/collections', options });
    return body.collections;
  }

  get(name: string, options?: RequestOptions): Promise<CollectionView> {
    return this.http.json({ method: 'GET', path: `/v1/collections/${enc(name)}`, options });
  }

  update(name: string, params: UpdateCollectionParams, options?: RequestOptions): Promise<CollectionView> {
    return this.http.json({ method: 'PATCH', path: `/v1/collections/${enc(name)}`, body: params, options });
  }

  delete(name: string, options?: RequestOptions): Promise<Deleted> {
    return this.http.json({ method: 'DELETE', path: `/v1/collections/${enc(name)}`, options });
  }
}

export interface AddOptions extends RequestOptions {
  /** The same key within 24 h returns the same job instead of ingesting twice; one is made per call when omitted. */
  idempotencyKey?: string;
}

export class Documents {
  constructor(private readonly http: Transport) {}

  private path(collection: string, rest = ''): string {
    return `/v1/collections/${enc(collection)}/documents${rest}`;
  }

  /** Ingests a text, URLs or files as a background job; follow it with `jobs.wait(accepted.id)`. */
  async add(collection: string, params: AddDocumentParams, options?: AddOptions): Promise<JobAccepted> {
    const body = 'files' in params ? await filesForm(params) : params;
    // One key for every retry of this call, so a retried POST cannot ingest twice.
    const headers = { 'idempotency-key': options?.idempotencyKey ?? newIdempotencyKey() };
    return accepted(this.http.json({ method: 'POST', path: this.path(collection), body, headers, options }));
  }

  list(collection: string, params: ListDocumentsParams = {}, options?: RequestOptions): Promise<DocumentList> {
    return this.http.json({ method: 'GET', path: this.path(collection), query: params as Call['query'], options });
  }

  get(collection: string, id: string, options?: RequestOptions): Promise<DocumentWithChunks> {
    return this.http.json({ method: 'GET', path: this.path(collection, `/${enc(id)}`), options });
  }

  /** The document's extracted text and its pages' offsets (citations' `start`/`end` are offsets into the text). */
  text(collection: string, id: string, options?: RequestOptions): Promise<DocumentText> {
    return this.http.json({ method: 'GET', path: this.path(collection, `/${enc(id)}/text`), options });
  }

  /** The original file's bytes, typed by the server's Content-Type (404 FILE_NOT_KEPT when there is none). */
  async file(collection: string, id: string, options?: RequestOptions): Promise<Blob> {
    const headers = { accept: '*/*' };
    return (await this.http.response({ method: 'GET', path: this.fileUrl(collection, id, false), headers, options })).blob();
  }

  /** The original file's URL (it needs the API key like any call, so a page fetches it with `file()`). */
  fileUrl(collection: string, id: string, absolute = true): string {
    const path = this.path(collection, `/${enc(id)}/file`);
    return absolute ? `${this.http.config.baseUrl}${path}` : path;
  }

  /** Replaces an uploaded or posted document with one file; it keeps its id. */
  async replace(collection: string, id: string, file: FileInput, options?: RequestOptions): Promise<JobAccepted> {
    const body = await filesForm({ files: file }, 'file');
    return accepted(this.http.json({ method: 'PUT', path: this.path(collection, `/${enc(id)}`), body, options }));
  }

  delete(collection: string, id: string, options?: RequestOptions): Promise<Deleted> {
    return this.http.json({ method: 'DELETE', path: this.path(collection, `/${enc(id)}`), options });
  }

  /** Ingests the document again; `password` opens an encrypted PDF (kept by the server only until the job ends). */
  reingest(collection: string, id: string, params: ReingestParams = {}, options?: RequestOptions): Promise<JobAccepted> {
    return accepted(
      this.http.json({ method: 'POST', path: this.path(collection, `/${enc(id)}/reingest`), body: params, options }),
    );
  }
}

/** `id` mirrors `jobId`, so `jobs.wait(accepted.id)` works as with the openai client's objects. */
async function accepted(answer: Promise<Omit<JobAccepted, 'id'>>): Promise<JobAccepted> {
  const body = await answer;
  return { ...body, id: body.jobId };
}

export interface WaitOptions extends RequestOptions {
  onProgress?: (progress: JobProgressEvent) => void;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export class Jobs {
  constructor(private readonly http: Transport) {}

  get(id: string, options?: RequestOptions): Promise<Job> {
    return this.http.json({ method: 'GET', path: `/v1/jobs/${enc(id)}`, options });
  }

  async list(options?: RequestOptions): Promise<Job[]> {
    return (await this.http.json<{ jobs: Job[] }>({ method: 'GET', path: '/v1/jobs', options })).jobs;
  }

  /** Cancels a queued job at once, a running one after its current document. */
  async cancel(id: string, options?: RequestOptions): Promise<Job> {
    return (await this.http.json<{ job: Job }>({ method: 'POST', path: `/v1/jobs/${enc(id)}/cancel`, options })).job;
  }

  /** The job's events as they happen: `progress`, then one `done` with the finished job. */
  async *events(id: string, options?: RequestOptions): AsyncGenerator<JobEvent> {
    const headers = { accept: 'text/event-stream' };
    const response = await this.http.response({ method: 'GET', path: `/v1/jobs/${enc(id)}/events`, headers, options });
    for await (const message of readSse(response, options?.signal)) {
      if (message.event !== 'progress' && message.event !== 'done') continue;
      yield { type: message.event, job: JSON.parse(message.data) } as JobEvent;
    }
  }

  /** Resolves with the finished job (succeeded, failed or cancelled: check `status`). */
  async wait(id: string, options: WaitOptions = {}): Promise<Job> {
    for (;;) {
      for await (const event of this.events(id, options)) {
        if (event.type === 'done') return event.job;
        options.onProgress?.(event.job);
      }
      // The stream closed early (a server restart): the row says whether to listen again.
      const job = await this.get(id, options);
      if (FINISHED.has(job.status)) return job;
    }
  }
}

export class Chats {
  constructor(private readonly http: Transport) {}

  async list(params: ListChatsParams = {}, options?: RequestOptions): Promise<Chat[]> {
    const query = params.collection === undefined ? {} : { collection: params.collection };
    return (await this.http.json<{ chats: Chat[] }>({ method: 'GET', path: '/v1/chats', query, options })).chats;
  }

  get(id: string, options?: RequestOptions): Promise<ChatWithMessages> {
    return this.http.json({ method: 'GET', path: `/v1/chats/${enc(id)}`, options });
  }

  /** Renames a chat. */
  update(id: string, params: UpdateChatParams, options?: RequestOptions): Promise<Chat> {
    return this.http.json({ method: 'PATCH', path: `/v1/chats/${enc(id)}`, body: params, options });
  }

  delete(id: string, options?: RequestOptions): Promise<Deleted> {
    return this.http.json({ method: 'DELETE', path: `/v1/chats/${enc(id)}`, options });
  }

  /** Rates an answer: `turn` is the assistant message's index in `chats.get(id).messages`; a second rating replaces the first. */
  async feedback(chatId: string, turn: number, params: FeedbackParams, options?: RequestOptions): Promise<Feedback> {
    const path = `/v1/chats/${enc(chatId)}/turns/${turn}/feedback`;
    return (await this.http.json<{ feedback: Feedback }>({ method: 'POST', path, body: params, options })).feedback;
  }
}

/** One collection goes to its own path; several to `/v1/search`, fused by reciprocal rank. */
export function search(
  http: Transport,
  collection: string | string[],
  params: SearchParams | Omit<MultiSearchParams, 'collections'>,
  options?: RequestOptions,
): Promise<SearchResult> {
  if (Array.isArray(collection)) {
    return http.json({ method: 'POST', path: '/v1/search', body: { ...params, collections: collection }, options });
  }
  return http.json({ method: 'POST', path: `/v1/collections/${enc(collection)}/search`, body: params, options });
}

export function ask(
  http: Transport,
  collection: string | string[],
  params: AskParams | Omit<MultiAskParams, 'collections'>,
  options?: RequestOptions,
): AskStream {
  const path = Array.isArray(collection) ? '/v1/ask' : `/v1/collections/${enc(collection)}/ask`;
  const body = Array.isArray(collection) ? { ...params, collections: collection, stream: true } : { ...params, stream: true };
  const headers = { accept: 'text/event-stream' };
  return new AskStream(
    (signal) => http.response({ method: 'POST', path, body, headers, options: { ...options, signal } }),
    options?.signal,
  );
}
