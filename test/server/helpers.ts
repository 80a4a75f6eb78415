import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type Citation,
  type Config,
  type ConfigInput,
  documentId,
  hashContent,
  type Logger,
  parseConfig,
  silentLogger,
} from '../../core/index.ts';
import { createHashEmbedder } from '../../models/index.ts';
import type { AppDeps, IngestCall, IngestOutcome, Runtime, Services } from '../../server/index.ts';
import { createApp, createJobWorker, createMetrics } from '../../server/index.ts';
import { openStore, type Store, sqliteDeps } from '../../store/index.ts';

export interface FakeOptions {
  /** Milliseconds the fake ingest spends on each document (to interrupt it). */
  ingestDelayMs?: number;
  /** Milliseconds between streamed answer tokens (to disconnect mid-answer). */
  tokenDelayMs?: number;
  /** Called when an answer stops because its signal fired. */
  onAnswerAborted?: () => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

function sourceText(source: IngestCall['sources'][number]): { source: string; text: string; title: string } {
  if (typeof source === 'string') return { source, text: `fetched ${source}`, title: source };
  if (source.kind === 'bytes')
    return { source: source.source ?? source.name, text: new TextDecoder().decode(source.data), title: source.name };
  if (source.kind === 'part') return { source: source.source, text: `fetched ${source.source}`, title: source.source };
  if (source.kind === 'stored')
    return { source: source.document.source, text: source.document.text, title: source.document.title };
  return {
    source: source.source ?? `text:${hashContent(source.text).slice(0, 12)}`,
    text: source.text,
    title: source.title ?? '',
  };
}

/** Writes each source as one document with one chunk, stopping between documents when aborted. */
function fakeIngest(store: Store, options: FakeOptions) {
  return async (call: IngestCall): Promise<IngestOutcome> => {
    const collection = store.collections.ensure({ name: call.collection });
    const outcome: IngestOutcome = {
      added: 0,
      updated: 0,
      unchanged: 0,
      failed: [],
      chunks: 0,
      seconds: 0,
      documents: [],
      notes: [],
    };
    for (const [i, input] of call.sources.entries()) {
      if (call.signal?.aborted) break;
      if (options.ingestDelayMs) await sleep(options.ingestDelayMs);
      const { source, text, title } = sourceText(input);
      if (text.trim() === '') {
        outcome.failed.push({ source, code: 'EMPTY_FILE', message: 'The file is empty' });
        continue;
      }
      const id = documentId(collection.id, source);
      const doc = {
        id,
        collectionId: collection.id,
        source,
        mime: 'text/plain',
        title,
        language: 'en',
        contentHash: hashContent(text),
      };
      store.documents.write({ ...doc, text, pages: [], metadata: {}, tags: [], bytes: text.length }, [
        { id: `${id}:0`, ordinal: 0, text, start: 0, end: text.length, page: null, headings: [], tokenCount: 1, metadata: {} },
      ]);
      outcome.added += 1;
      outcome.chunks += 1;
      outcome.documents.push({ source, id, status: 'added' });
      call.onProgress?.({
        documentsDone: i + 1,
        documentsTotal: call.sources.length,
        chunksDone: i + 1,
        chunksTotal: call.sources.length,
      });
    }
    return outcome;
  };
}

function fakeSearch(store: Store): Services['search'] {
  return async (call) => {
    // As the real search: an unknown collection is COLLECTION_NOT_FOUND.
    store.collections.require(call.collection);
    const words = call.query.toLowerCase().match(/\p{L}+/gu) ?? [];
    const rows = store.db.prepare('SELECT rowid FROM chunks WHERE collection_id = ? ORDER BY rowid').all(call.collection) as {
      rowid: number;
    }[];
    const chunks = store.chunks.getMany(rows.map((r) => r.rowid));
    const hits = chunks.filter((chunk) => words.some((w) => chunk.text.toLowerCase().includes(w))).slice(0, call.k ?? 8);
    const passages = hits.map((chunk) => {
      const doc = store.documents.get(chunk.documentId);
      return {
        chunkId: chunk.id,
        rowid: chunk.rowid,
        documentId: chunk.documentId,
        source: doc?.source ?? '',
        title: doc?.title ?? '',
        page: null,
        headings: [],
        start: chunk.start,
        end: chunk.end,
        text: chunk.text,
        contextStart: chunk.start,
        contextEnd: chunk.end,
        scores: { bm25: 1 },
        metadata: {},
      };
    });
    return { passages, ran: { bm25: true, dense: false, fusion: null, rerank: false }, notes: ['fake search'], timings: {} };
  };
}

/** Answers with the first passage's first sentence, streamed word by word, cited as [1]. */
function fakeAnswer(store: Store, search: Services['search'], options: FakeOptions): Services['answer'] {
  return async (call, onEvent) => {
    const { passages } = await search({ collection: call.collection, query: call.question });
    onEvent?.({ type: 'retrieved', query: call.question, attempt: 1, passages });
    const first = passages[0];
    const sentence = first ? `${first.text.split(/(?<=\.)\s/)[0]} [1]` : 'The documents do not answer this.';
    let streamed = '';
    for (const word of sentence.split(/(?<= )/)) {
      if (call.signal?.aborted) {
        options.onAnswerAborted?.();
        return { answer: streamed, citations: [], decision: 'answered', complete: false, chatId: null };
      }
      if (options.tokenDelayMs) await sleep(options.tokenDelayMs, call.signal);
      streamed += word;
      onEvent?.({ type: 'token', text: word });
    }
    const citations: Citation[] = first
      ? [
          {
            marker: 1,
            chunkId: first.chunkId,
            documentId: first.documentId,
            source: first.source,
            title: first.title,
            page: null,
            start: first.start,
            end: first.end,
            quote: first.text,
          },
        ]
      : [];
    for (const citation of citations) onEvent?.({ type: 'citation', citation });
    const chat = call.chatId ? store.chats.require(call.chatId) : store.chats.create({ collectionId: call.collection });
    store.chats.addMessage({ chatId: chat.id, role: 'user', content: call.question, result: null });
    const result = { answer: sentence, citations, decision: first ? 'answered' : 'abstained', complete: true, chatId: chat.id };
    store.chats.addMessage({ chatId: chat.id, role: 'assistant', content: sentence, result });
    onEvent?.({ type: 'done', result });
    return result;
  };
}

export function createFakeServices(store: Store, options: FakeOptions = {}): Services {
  const search = fakeSearch(store);
  const embedder = createHashEmbedder(8);
  return {
    ingest: fakeIngest(store, options),
    search,
    answer: fakeAnswer(store, search, options),
    embed: async (_collection, texts) => ({ model: embedder.id, vectors: await embedder.embed(texts, 'passage') }),
    dropIndex: async () => {},
    components: async () => ({ store: { available: true, detail: 'SQLite' } }),
  };
}

export interface TestEnv {
  dataDir: string;
  config: Config;
  store: Store;
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  cleanup(): Promise<void>;
}

export function testConfig(dataDir: string, input: ConfigInput = {}): Config {
  // No search workers unless a test asks for them: fake runtimes search in-thread.
  return parseConfig({ logLevel: 'silent', ...input, dataDir, server: { port: 0, searchWorkers: 0, ...input.server } });
}

/** A data folder, a real store, fake services, and the app built on them. */
export function createTestEnv(
  options: { config?: ConfigInput; fakes?: FakeOptions; openWithoutKeys?: boolean; logger?: Logger } = {},
): TestEnv {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-server-'));
  const config = testConfig(dataDir, options.config);
  const store = openStore({ dataDir });
  const services = createFakeServices(store, options.fakes);
  const metrics = createMetrics();
  const logger = options.logger ?? silentLogger;
  const stores = sqliteDeps(store);
  const jobs = createJobWorker({
    ...stores,
    logger,
    metrics,
    ingest: services.ingest,
    uploadsDir: path.join(dataDir, 'uploads'),
  });
  const deps: AppDeps = { config, ...stores, logger, services, jobs, metrics, openWithoutKeys: options.openWithoutKeys ?? true };
  return {
    dataDir,
    config,
    store,
    deps,
    app: createApp(deps),
    async cleanup() {
      await jobs.stop();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A runtime of fakes over a real store in `dataDir`, for startServer over a real socket. */
export function createFakeRuntime(dataDir: string, fakes: FakeOptions = {}): Runtime {
  const store = openStore({ dataDir });
  return {
    ...sqliteDeps(store),
    services: createFakeServices(store, fakes),
    uploadsDir: path.join(dataDir, 'uploads'),
    close: async () => store.close(),
  };
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');
