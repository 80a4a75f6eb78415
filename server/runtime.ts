import path from 'node:path';
import { CairnError, type Config, type Logger, modelsDir } from '../core/index.ts';
import { answer } from '../generation/index.ts';
import { ingest } from '../indexer/index.ts';
import {
  createModelRegistry,
  describeModel,
  type Embedder,
  type Generator,
  type ModelRole,
  type Reranker,
} from '../models/index.ts';
import { type SearchRequest, type SearchResult, search, searchCollections } from '../retrieval/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import { type BackendOptions, openBackend } from './backend.ts';
import type { SharedJobs } from './jobs/shared.ts';
import type { ComponentStatus, Services } from './services.ts';

/**
 * The real services behind the app: the store, the model registry, the ANN manager and the
 * ingest, search and answer pipelines of the other rooms, bound together once per process.
 */
export interface Runtime {
  store: StoreContract;
  /** The embedded SQLite store behind `store` (absent on PostgreSQL). */
  embedded?: Store;
  /** Jobs shared with the other instances of the database (PostgreSQL). */
  shared?: SharedJobs;
  services: Services;
  uploadsDir: string;
  /** Starts loading the default models that are on disk, without waiting for them. */
  warm?(roles?: ModelRole[]): void;
  /**
   * Sends the retrieval step of answers to another searcher (the server's search workers);
   * `services.search` itself stays in this thread.
   */
  searchAnswersWith?(search: ((request: SearchRequest) => Promise<SearchResult> | null) | null): void;
  /** The collection's cross-encoder scores of texts against a query, in this thread; [] when it has none. */
  scoreSpans?(collection: string, query: string, texts: string[]): Promise<number[]>;
  /**
   * Sends the ranking of answers' citation spans to another scorer (the search workers, which hold
   * the reranker); null from it, or no scorer, means: rank here.
   */
  scoreSpansWith?(score: RemoteSpanScore | null): void;
  close(): Promise<void>;
}

export type RemoteSpanScore = (collection: string, query: string, texts: string[]) => Promise<number[]> | null;

/** A model missing from the cache is retried this often, so `cairn models pull` is picked up. */
const RECHECK_MS = 30_000;

export async function createRuntime(config: Config, logger: Logger, backendOptions: BackendOptions = {}): Promise<Runtime> {
  const backend = await openBackend(config, logger, backendOptions);
  const { store, embedded, retrievers } = backend;
  const registry = createModelRegistry({ config, logger });
  const status = new Map<ModelRole, ComponentStatus>();
  const misses = new Map<string, number>();

  const record = (role: ModelRole, ref: string, value: ComponentStatus) => {
    // /health reports the server-wide defaults; a collection's own model reports through its results.
    if (ref === config.models[role]) status.set(role, value);
  };

  /**
   * The model when it is on disk (or remote); never a download on a request's path: a missing
   * model is reported and the request runs without it.
   */
  async function model<T>(role: ModelRole, ref: string | null): Promise<T | null> {
    if (ref === null) return null;
    const key = `${role}:${ref}`;
    if (Date.now() - (misses.get(key) ?? -Infinity) < RECHECK_MS) return null;
    const info = describeModel(role, ref, modelsDir(config), config.models.dtype);
    if (!info.present) {
      misses.set(key, Date.now());
      record(role, ref, { available: false, detail: `${ref}: not downloaded (run \`cairn models pull\`)` });
      return null;
    }
    const found = await registry[role](ref);
    if (!found.ok) misses.set(key, Date.now());
    record(role, ref, found.ok ? { available: true, detail: ref } : { available: false, detail: `${ref}: ${found.reason}` });
    return found.ok ? (found.model as T) : null;
  }

  const refFor = async (role: ModelRole, collection: string) =>
    (await store.collections.get(collection))?.settings[role] ?? config.models[role];

  // The filter is validated by retrieval, which answers VALIDATION for a bad one.
  async function searchWithModels(request: SearchRequest) {
    const collection = await store.collections.require(request.collection);
    const [embedder, reranker] = await Promise.all([
      model<Embedder>('embedder', collection.settings.embedder ?? config.models.embedder),
      model<Reranker>('reranker', collection.settings.reranker ?? config.models.reranker),
    ]);
    return search({ store, retrievers, config, embedder, reranker, collection }, request);
  }
  // null from the other searcher (no worker running) means: search here.
  let remoteSearch: ((request: SearchRequest) => Promise<SearchResult> | null) | null = null;
  const answerSearch = (request: SearchRequest) => remoteSearch?.(request) ?? searchWithModels(request);

  async function scoreSpans(collection: string, query: string, texts: string[]): Promise<number[]> {
    const reranker = await model<Reranker>('reranker', await refFor('reranker', collection));
    return reranker ? reranker.score(query, texts) : [];
  }
  let remoteScore: RemoteSpanScore | null = null;
  // Spans are ranked by the reranker only where retrieval reranks; [] leaves them to word overlap.
  const spanScorerFor = async (collection: string) =>
    ((await store.collections.get(collection))?.settings.retrieval?.rerank ?? config.retrieval.rerank)
      ? (query: string, texts: string[]) => remoteScore?.(collection, query, texts) ?? scoreSpans(collection, query, texts)
      : null;

  const services: Services = {
    async ingest(call) {
      return ingest(
        {
          store,
          ...(embedded ? { embedded } : {}),
          config,
          logger,
          embedder: await model<Embedder>('embedder', await refFor('embedder', call.collection)),
        },
        call,
      );
    },
    search: (call) => searchWithModels(call as SearchRequest),
    async answer(call, onEvent) {
      const generator = await model<Generator>('generator', await refFor('generator', call.collection));
      const many = call.collections && call.collections.length > 1 ? call.collections : null;
      const retrieve = (request: SearchRequest) =>
        many ? searchCollections(answerSearch, many, request) : answerSearch(request);
      const spanScorer = await spanScorerFor(call.collection);
      return answer(
        { store, ...(embedded ? { embedded } : {}), config, generator, logger, search: retrieve, spanScorer },
        call,
        onEvent,
      );
    },
    async embed(collection, texts) {
      const ref = await refFor('embedder', collection);
      const embedder = await model<Embedder>('embedder', ref);
      if (!embedder) {
        throw new CairnError('MODEL_MISSING', `Collection "${collection}" has no embedder available`, {
          embedder: ref,
        });
      }
      return { model: embedder.id, vectors: await embedder.embed(texts, 'passage') };
    },
    dropIndex: (collectionId) => backend.dropIndex(collectionId),
    components: async () => ({ ...describeComponents(config, status), ...backend.describe() }),
  };

  return {
    store,
    ...(embedded ? { embedded } : {}),
    ...(backend.shared ? { shared: backend.shared } : {}),
    services,
    uploadsDir: path.join(config.dataDir, 'uploads'),
    warm(roles: ModelRole[] = ['embedder', 'reranker', 'generator']) {
      for (const role of roles) {
        model(role, config.models[role]).catch((error: Error) =>
          status.set(role, { available: false, detail: `${config.models[role]}: ${error.message}` }),
        );
      }
    },
    searchAnswersWith(remote) {
      remoteSearch = remote;
    },
    scoreSpans,
    scoreSpansWith(remote) {
      remoteScore = remote;
    },
    async close() {
      await registry.dispose();
      await backend.close();
    },
  };
}

function describeComponents(config: Config, status: Map<ModelRole, ComponentStatus>): Record<string, ComponentStatus> {
  const role = (name: ModelRole, without: string): ComponentStatus => {
    const ref = config.models[name];
    if (ref === null) return { available: false, detail: `none configured (${without})` };
    const known = status.get(name) ?? { available: false, detail: `${ref}: loading` };
    return known.available ? known : { available: false, detail: `${known.detail} (${without})` };
  };
  return {
    embedder: role('embedder', 'search runs BM25 only'),
    reranker: role('reranker', 'results are not reranked'),
    generator: role('generator', 'answers are extractive'),
  };
}
