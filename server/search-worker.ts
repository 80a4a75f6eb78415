import { parentPort, workerData } from 'node:worker_threads';
import { CairnError, type Config, createLogger } from '../core/index.ts';
import { encodeJson } from './json-bytes.ts';
import { createRuntime } from './runtime.ts';
import type { ComponentStatus, SearchCall } from './services.ts';

/**
 * One search worker: its own runtime (a second SQLite connection, its own BM25 and ANN indexes,
 * its own query models; the indexes are loaded from the data folder's saved files, the BM25 ones
 * in the background as the worker starts, so none builds its own when a file is there) answering search calls from the server's thread with UTF-8 JSON, so the
 * search and its serialisation both run off the event loop that serves HTTP.
 */
export type WorkerRequest =
  | { type: 'search'; id: number; call: SearchCall }
  | { type: 'components'; id: number }
  /** Cross-encoder scores of texts against a query (citation spans), with the collection's reranker. */
  | { type: 'score'; id: number; collection: string; query: string; texts: string[] }
  /** A saved index file's bytes, asked for by `file-bytes`: one SharedArrayBuffer every worker views (null: read it yourself). */
  | { type: 'file-bytes'; id: number; bytes: Uint8Array | null }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'closed' }
  | { type: 'result'; id: number; json: Uint8Array<ArrayBuffer> }
  | { type: 'components'; id: number; components: Record<string, ComponentStatus> }
  /** [] when the collection has no reranker available. */
  | { type: 'scores'; id: number; scores: number[] }
  | { type: 'error'; id: number; code: string; message: string; details?: unknown }
  /** Asks the server's thread for a saved index file's shared bytes. */
  | { type: 'file-bytes'; id: number; file: string };

if (!parentPort) throw new Error('search-worker.ts runs only as a worker thread');
const port = parentPort;
const { config } = workerData as { config: Config };
const waiting = new Map<number, (bytes: Uint8Array | null) => void>();
let nextFile = 1;
/** BM25 warm-ups view the server's one copy of a saved file instead of reading their own (messages queue until the listener below). */
function sharedBytes(file: string): Promise<Uint8Array | null> {
  const id = nextFile++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    port.postMessage({ type: 'file-bytes', id, file } satisfies WorkerReply);
  });
}
/**
 * Searches wait for the BM25 warm-up (it loads what a first search would load anyway): one that ran
 * before it would read its own copy of the file, beside the shared one.
 */
let warmed: Promise<void> = Promise.resolve();
const runtime = await createRuntime(config, createLogger({ level: config.logLevel }), {
  sharedBytes,
  onLexicalWarm: (warming) => {
    warmed = warming;
  },
});
// The query models load now, not on the first search (the generator is never used here).
runtime.warm?.(['embedder', 'reranker']);
const reply = (message: WorkerReply) => port.postMessage(message);

async function answer(id: number, call: SearchCall): Promise<void> {
  try {
    await warmed;
    // Encoded here, handed over without a copy: the server's thread only writes the bytes out.
    const json = encodeJson(await runtime.services.search(call));
    port.postMessage({ type: 'result', id, json } satisfies WorkerReply, [json.buffer as ArrayBuffer]);
  } catch (error) {
    fail(id, error);
  }
}

async function score(message: Extract<WorkerRequest, { type: 'score' }>): Promise<void> {
  try {
    const scores = (await runtime.scoreSpans?.(message.collection, message.query, message.texts)) ?? [];
    reply({ type: 'scores', id: message.id, scores });
  } catch (error) {
    fail(message.id, error);
  }
}

function fail(id: number, error: unknown): void {
  const known = error instanceof CairnError;
  reply({
    type: 'error',
    id,
    code: known ? error.code : 'INTERNAL',
    message: (error as Error).message ?? String(error),
    ...(known && error.details !== undefined ? { details: error.details } : {}),
  });
}

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'file-bytes') {
    waiting.get(message.id)?.(message.bytes);
    waiting.delete(message.id);
    return;
  }
  if (message.type === 'search') {
    void answer(message.id, message.call);
    return;
  }
  if (message.type === 'score') {
    void score(message);
    return;
  }
  if (message.type === 'components') {
    void runtime.services.components().then((components) => reply({ type: 'components', id: message.id, components }));
    return;
  }
  // Saves the ANN indexes it caught up, then lets the thread end.
  void runtime.close().finally(() => {
    reply({ type: 'closed' });
    port.close();
  });
});
reply({ type: 'ready' });
