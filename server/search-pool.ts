import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, type Config, type ErrorCode, type Logger } from '../core/index.ts';
import { readSharedBytes, type SearchRequest, type SearchResult } from '../retrieval/index.ts';
import type { WorkerReply, WorkerRequest } from './search-worker.ts';
import type { ComponentStatus, SearchCall } from './services.ts';

/**
 * Searches run in worker threads, so a slow one (a BM25 rebuild, a reranker over 50 passages, a
 * query embedding on CPU) never stalls the event loop that serves every other request, and a
 * server on several cores searches on several at once. Each worker keeps its own indexes in memory,
 * loaded from the files in the data folder (one writer saves them); the saved BM25 postings are read
 * once here and shared (createSharedFiles), the ANN indexes are one copy per worker.
 */
export interface SearchPool {
  readonly size: number;
  /** False once no worker could start: callers then search in their own thread. */
  readonly available: boolean;
  /** The search outcome as UTF-8 JSON, serialised and encoded in the worker. */
  searchJson(call: SearchCall): Promise<Uint8Array<ArrayBuffer>>;
  search(call: SearchRequest): Promise<SearchResult>;
  /** The collection's cross-encoder scores of texts against a query (citation spans); [] without one. */
  score(collection: string, query: string, texts: string[]): Promise<number[]>;
  /** What a worker runs and what not (its query models live there, not in the server's thread); null without one. */
  components(): Promise<Record<string, ComponentStatus> | null>;
  /** Lets each worker save its indexes and end. */
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending>;
  exited: Promise<void>;
}

const WORKER_URL = new URL('./search-worker.mjs', import.meta.url);
const CLOSE_TIMEOUT_MS = 10_000;
const decoder = new TextDecoder();

/**
 * Saved index files read once into SharedArrayBuffers that every worker views: N workers hold one
 * copy of a collection's BM25 postings, not N. Kept while the file is unchanged (same size and
 * mtime): this thread pins one copy per file even once the workers have moved past it.
 */
function createSharedFiles() {
  const held = new Map<string, { version: string; bytes: Promise<Uint8Array | null> }>();
  return {
    async bytes(file: string): Promise<Uint8Array | null> {
      const info = await stat(file).catch(() => null);
      if (!info) {
        held.delete(file);
        return null;
      }
      const version = `${info.size}:${info.mtimeMs}`;
      let entry = held.get(file);
      if (!entry || entry.version !== version) {
        entry = { version, bytes: readSharedBytes(file).catch(() => null) };
        held.set(file, entry);
      }
      return entry.bytes;
    },
  };
}

/** `auto`: one worker per core beyond the first (which serves HTTP), at least one, at most four. */
export function resolveSearchWorkers(setting: Config['server']['searchWorkers'], cores = availableParallelism()): number {
  return setting === 'auto' ? Math.min(4, Math.max(1, cores - 1)) : setting;
}

export interface SearchPoolOptions {
  config: Config;
  size: number;
  logger: Logger;
  /** The worker's entry; tests pass one that fails. */
  workerUrl?: URL;
}

export function createSearchPool(options: SearchPoolOptions): SearchPool {
  const { config, logger } = options;
  const slots: (Slot | null)[] = [];
  let nextId = 1;
  let closing = false;

  const files = createSharedFiles();

  function settle(slot: Slot, reply: WorkerReply): void {
    if (reply.type === 'file-bytes') {
      const { id } = reply;
      void files
        .bytes(reply.file)
        .then((bytes) => slot.worker.postMessage({ type: 'file-bytes', id, bytes } satisfies WorkerRequest));
      return;
    }
    if (reply.type === 'ready') slot.ready = true;
    if (reply.type === 'ready' || reply.type === 'closed') return;
    const pending = slot.pending.get(reply.id);
    slot.pending.delete(reply.id);
    if (reply.type === 'result') pending?.resolve(reply.json);
    else if (reply.type === 'components') pending?.resolve(reply.components);
    else if (reply.type === 'scores') pending?.resolve(reply.scores);
    else pending?.reject(new CairnError(reply.code as ErrorCode, reply.message, reply.details as Record<string, unknown>));
  }

  function spawn(index: number): Slot {
    const worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData: { config } });
    let exit: () => void = () => undefined;
    const slot: Slot = { worker, ready: false, pending: new Map(), exited: new Promise((resolve) => (exit = resolve)) };
    worker.on('message', (reply: WorkerReply) => settle(slot, reply));
    worker.on('error', (error) => logger.error('search worker failed', { error: error.message }));
    worker.on('exit', (code) => {
      exit();
      for (const pending of slot.pending.values()) pending.reject(new CairnError('INTERNAL', 'The search worker stopped'));
      if (closing) return;
      // One that never became ready would fail again: its slot stays empty and searches run in-thread.
      slots[index] = slot.ready ? spawn(index) : null;
      logger.warn(slot.ready ? 'search worker exited; restarted' : 'search worker could not start; searching in-thread', {
        code,
      });
    });
    return slot;
  }

  for (let i = 0; i < options.size; i++) slots.push(spawn(i));

  /** The live worker with the fewest searches in flight. */
  function pick(): Slot {
    let best: Slot | null = null;
    for (const slot of slots) if (slot && (!best || slot.pending.size < best.pending.size)) best = slot;
    if (!best) throw new CairnError('INTERNAL', 'No search worker is running');
    return best;
  }

  /** Sends a request to the least busy worker; resolves with what it answers. */
  async function ask<T>(request: (id: number) => WorkerRequest): Promise<T> {
    const slot = pick();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      slot.worker.postMessage(request(id));
    });
  }

  const searchJson = (call: SearchCall) => ask<Uint8Array<ArrayBuffer>>((id) => ({ type: 'search', id, call }));

  return {
    size: options.size,
    get available() {
      return !closing && slots.some((slot) => slot !== null);
    },
    searchJson,
    search: async (call) => JSON.parse(decoder.decode(await searchJson(call as SearchCall))) as SearchResult,
    score: (collection, query, texts) => ask<number[]>((id) => ({ type: 'score', id, collection, query, texts })),
    components: async () =>
      slots.some((slot) => slot !== null) ? ask<Record<string, ComponentStatus>>((id) => ({ type: 'components', id })) : null,
    async close() {
      closing = true;
      const live = slots.filter((slot): slot is Slot => slot !== null);
      for (const slot of live) slot.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
      const timeout = setTimeout(() => {
        for (const slot of live) void slot.worker.terminate();
      }, CLOSE_TIMEOUT_MS);
      await Promise.all(live.map((slot) => slot.exited));
      clearTimeout(timeout);
    },
  };
}
