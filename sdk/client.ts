import type { AskStream } from './ask-stream.ts';
import { type ClientOptions, type RequestOptions, resolvedOptions } from './http.ts';
import { Keys } from './keys.ts';
import { ask, Chats, Collections, Documents, Jobs, search, Transport } from './resources.ts';
import { Tables } from './tables.ts';
import type {
  AskParams,
  Health,
  MultiAskParams,
  MultiSearchParams,
  MultiSearchResult,
  SearchParams,
  SearchResult,
} from './types.ts';

/**
 * A typed client for a Cairn server, in browsers and Node ≥ 20: fetch only, no dependencies.
 *
 * ```ts
 * const cairn = new Cairn({ baseUrl: 'http://127.0.0.1:8787', apiKey });
 * const accepted = await cairn.documents.add('docs', { text: 'Cairns mark trails.' });
 * await cairn.jobs.wait(accepted.jobId);
 * for await (const event of cairn.ask('docs', { question: 'What marks trails?' })) { … }
 * ```
 */
export class Cairn {
  readonly baseUrl: string;
  readonly collections: Collections;
  readonly documents: Documents;
  readonly jobs: Jobs;
  readonly chats: Chats;
  readonly keys: Keys;
  readonly tables: Tables;
  readonly #http: Transport;

  constructor(options: ClientOptions = {}) {
    const config = resolvedOptions(options);
    this.#http = new Transport(config);
    this.baseUrl = config.baseUrl;
    this.collections = new Collections(this.#http);
    this.documents = new Documents(this.#http);
    this.jobs = new Jobs(this.#http);
    this.chats = new Chats(this.#http);
    this.keys = new Keys(this.#http);
    this.tables = new Tables(this.#http);
  }

  /**
   * Passages for a query: BM25, dense or hybrid, reranked, filtered, with context windows. Given
   * several collections, each is searched and the lists are fused by reciprocal rank; every
   * passage then names its `collection`.
   */
  search(collection: string, params: SearchParams, options?: RequestOptions): Promise<SearchResult>;
  search(
    collections: string[],
    params: Omit<MultiSearchParams, 'collections'>,
    options?: RequestOptions,
  ): Promise<MultiSearchResult>;
  search(
    collection: string | string[],
    params: SearchParams | Omit<MultiSearchParams, 'collections'>,
    options?: RequestOptions,
  ): Promise<SearchResult | MultiSearchResult> {
    return search(this.#http, collection, params, options);
  }

  /**
   * An answer as a stream of typed events; `await stream.result()` for the final AnswerResult.
   * Given several collections, retrieval runs over each and the passages are fused; citations name their `collection`.
   */
  ask(collection: string, params: AskParams, options?: RequestOptions): AskStream;
  ask(collections: string[], params: Omit<MultiAskParams, 'collections'>, options?: RequestOptions): AskStream;
  ask(
    collection: string | string[],
    params: AskParams | Omit<MultiAskParams, 'collections'>,
    options?: RequestOptions,
  ): AskStream {
    return ask(this.#http, collection, params, options);
  }

  /** What runs: store, embedder, reranker, generator, auth. */
  health(options?: RequestOptions): Promise<Health> {
    return this.#http.json({ method: 'GET', path: '/health', options });
  }

  /** Prometheus metrics, as text. */
  async metrics(options?: RequestOptions): Promise<string> {
    return (await this.#http.response({ method: 'GET', path: '/metrics', headers: { accept: 'text/plain' }, options })).text();
  }

  /** The server's OpenAPI 3.1 description. */
  openapi(options?: RequestOptions): Promise<Record<string, unknown>> {
    return this.#http.json({ method: 'GET', path: '/openapi.json', options });
  }

  /**
   * Settings for the official `openai` client against the OpenAI-compatible endpoints (`model` is
   * the collection): `new OpenAI(cairn.openai())`. The openai client refuses an empty key, so an
   * open server without keys gets a placeholder it ignores.
   */
  openai(): { baseURL: string; apiKey: string } {
    return { baseURL: `${this.baseUrl}/v1`, apiKey: this.#http.config.apiKey ?? 'cairn-no-key' };
  }
}
