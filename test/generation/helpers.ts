import { type Config, type Passage, parseConfig, silentLogger } from '../../core/index.ts';
import type { AnswerDeps, AnswerEvent } from '../../generation/index.ts';
import type { Completion, GeneratedToken, GenerateRequest, Generator, JsonSchema } from '../../models/types.ts';
import type { SearchRequest, SearchResult } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { openStore, type Store, sqliteDeps } from '../../store/index.ts';

/** One scripted reply: a completion (text or JSON), a token stream, a failure, or a stall. */
export type Step =
  | { complete: unknown; delayMs?: number }
  | { stream: string[]; logprob?: number; logprobTokens?: number; delayMs?: number }
  | { stream: string[]; thenFail: Error }
  | { stream: string[]; thenHang: true }
  | { fail: Error };

export interface Call {
  kind: 'stream' | 'complete';
  request: GenerateRequest;
  schema?: JsonSchema;
}

export interface ScriptOptions {
  /** Declared as the generator's `parallel` (requests served at once). */
  parallel?: number;
  /** Records `yield <token>` as each streamed token is produced and `<kind> call` for each call, in order. */
  log?: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A generator that replays given outputs in order and records every call: a fake, not a module mock. */
export function createScriptedGenerator(steps: Step[], id = 'scripted', options: ScriptOptions = {}) {
  const log = options.log;
  const script = [...steps];
  const calls: Call[] = [];
  const next = (kind: Call['kind']): Step => {
    const step = script.shift();
    if (!step) throw new Error(`scripted generator: no step left for a ${kind} call`);
    return step;
  };
  const generator: Generator = {
    id,
    ...(options.parallel !== undefined ? { parallel: options.parallel } : {}),
    async complete(request: GenerateRequest, schema?: JsonSchema): Promise<Completion> {
      calls.push({ kind: 'complete', request, ...(schema ? { schema } : {}) });
      log?.push('complete call');
      const step = next('complete');
      if ('fail' in step) throw step.fail;
      if (!('complete' in step)) throw new Error('scripted generator: expected a complete step');
      if (step.delayMs) await pause(step.delayMs);
      const text = typeof step.complete === 'string' ? step.complete : JSON.stringify(step.complete);
      return { text, tokens: 1 };
    },
    stream(request: GenerateRequest): AsyncIterable<GeneratedToken> {
      calls.push({ kind: 'stream', request });
      log?.push('stream call');
      const step = next('stream');
      return (async function* () {
        if ('fail' in step) throw step.fail;
        if (!('stream' in step)) throw new Error('scripted generator: expected a stream step');
        for (const text of step.stream) {
          if ('delayMs' in step && step.delayMs) await pause(step.delayMs);
          log?.push(`yield ${text}`);
          if (!('logprob' in step) || step.logprob === undefined) yield { text };
          else if (step.logprobTokens === undefined) yield { text, logprob: step.logprob };
          else yield { text, logprob: step.logprob, logprobTokens: step.logprobTokens };
        }
        if ('thenFail' in step) throw step.thenFail;
        if ('thenHang' in step) await new Promise(() => {});
      })();
    },
  };
  return { generator, calls, remaining: () => script.length };
}

export function tokens(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

export interface SeedDoc {
  source: string;
  title?: string;
  /** Paragraphs, one chunk each, joined by a blank line in the document text. */
  paragraphs: string[];
}

export interface Seeded<S = Store> {
  store: S;
  passages: Map<string, Passage[]>;
  /** Every chunk as a passage, by source then paragraph index. */
  passage(source: string, index: number, scores?: Passage['scores']): Passage;
  docText(source: string): string;
}

type Write = Parameters<Store['documents']['write']>;

/** What seeding writes: each document and its chunks (a paragraph each), and the Seeded view once rowids are known. */
function seedPlan(collection: string, docs: SeedDoc[]) {
  const all = new Map<string, Passage[]>();
  const texts = new Map<string, string>();
  const writes: [Write[0], Write[1]][] = [];
  for (const doc of docs) {
    const text = doc.paragraphs.join('\n\n');
    texts.set(doc.source, text);
    const id = `doc_${doc.source}`;
    let offset = 0;
    const chunks = doc.paragraphs.map((p, ordinal) => {
      const start = offset;
      offset += p.length + 2;
      return {
        id: `${id}_${ordinal}`,
        ordinal,
        text: p,
        start,
        end: start + p.length,
        page: null,
        headings: [],
        tokenCount: 0,
        metadata: {},
      };
    });
    const title = doc.title ?? doc.source;
    writes.push([
      {
        id,
        collectionId: collection,
        source: doc.source,
        mime: 'text/plain',
        title,
        language: 'en',
        contentHash: id,
        text,
        pages: [],
        metadata: {},
        tags: [],
        bytes: text.length,
      },
      chunks,
    ]);
  }
  const finish = <S>(store: S, rowids: number[][]): Seeded<S> => {
    writes.forEach(([doc, chunks], d) => {
      all.set(
        doc.source,
        chunks.map((c, i) => ({
          chunkId: c.id,
          rowid: rowids[d]?.[i] as number,
          documentId: doc.id,
          source: doc.source,
          title: doc.title,
          page: null,
          headings: [],
          start: c.start,
          end: c.end,
          text: c.text,
          contextStart: c.start,
          contextEnd: c.end,
          scores: { bm25: 1 },
          metadata: {},
        })),
      );
    });
    return {
      store,
      passages: all,
      passage(source, index, scores) {
        const p = all.get(source)?.[index];
        if (!p) throw new Error(`no passage ${source}#${index}`);
        return scores ? { ...p, scores } : p;
      },
      docText: (source) => texts.get(source) ?? '',
    };
  };
  return { writes, finish };
}

/** Seeds a new in-memory store, or the given one (a server test's). */
export function seedStore(collection: string, docs: SeedDoc[], store: Store = openStore({ file: ':memory:' })): Seeded {
  store.collections.create({ name: collection });
  const plan = seedPlan(collection, docs);
  return plan.finish(
    store,
    plan.writes.map(([doc, chunks]) => store.documents.write(doc, chunks).chunkRowids),
  );
}

/** seedStore through the store contract: the same documents and passages on either backend. */
export async function seedContract<S extends StoreContract>(collection: string, docs: SeedDoc[], store: S): Promise<Seeded<S>> {
  await store.collections.create({ name: collection });
  const plan = seedPlan(collection, docs);
  const rowids: number[][] = [];
  for (const [doc, chunks] of plan.writes) rowids.push((await store.documents.write(doc, chunks)).chunkRowids);
  return plan.finish(store, rowids);
}

/** A search fake: answers each query from a table (or a default list) and records the requests. */
export function createFakeSearch(table: Record<string, Passage[]>, fallback: Passage[] = []) {
  const requests: SearchRequest[] = [];
  const search = async (request: SearchRequest): Promise<SearchResult> => {
    requests.push(request);
    return {
      passages: table[request.query] ?? fallback,
      notes: [],
      ran: { bm25: true, dense: false, fusion: null, rerank: false },
      timings: {},
    };
  };
  return { search, requests };
}

export function testConfig(answer: Record<string, unknown> = {}): Config {
  return parseConfig({ dataDir: '/tmp/cairn-test-unused', answer });
}

export function makeDeps(
  store: Store,
  generator: Generator | null,
  search: AnswerDeps['search'],
  config = testConfig(),
  spanScorer: AnswerDeps['spanScorer'] = null,
): AnswerDeps {
  return { ...sqliteDeps(store), config, generator, search, logger: silentLogger, spanScorer };
}

export function collectEvents() {
  const events: AnswerEvent[] = [];
  return { events, onEvent: (e: AnswerEvent) => events.push(e), types: () => events.map((e) => e.type) };
}
