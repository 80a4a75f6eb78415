import type { Config, Logger } from '../../core/index.ts';
import { CairnError } from '../../core/index.ts';
import {
  type AnswerDeps,
  type AnswerEvent,
  type AnswerResult,
  answer,
  type RetrieveMode,
  type SearchFn,
} from '../../generation/index.ts';
import { createAnnManager } from '../../indexer/ann/index.ts';
import { type Availability, createModelRegistry, type Embedder, type Generator, type Reranker } from '../../models/index.ts';
import { search, sqliteSearchDeps } from '../../retrieval/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { Store, StoreContract } from '../../store/index.ts';
import type { Command, CommandContext } from '../context.ts';

export interface AnswerModels {
  generator: Generator | null;
  embedder: Embedder | null;
  reranker: Reranker | null;
  /** What could not be had, and why: printed so nothing is silently degraded. */
  notes: string[];
  dispose(): Promise<void>;
}

/** The collection's models (its settings, else the configured defaults) from the registry; missing ones are notes. */
export async function resolveAnswerModels(
  config: Config,
  logger: Logger,
  store: Pick<StoreContract, 'collections'>,
  collection: string,
  roles: { retrieval: boolean } = { retrieval: true },
): Promise<AnswerModels> {
  const settings = (await store.collections.get(collection))?.settings;
  const registry = createModelRegistry({ config, logger });
  const out: AnswerModels = {
    generator: null,
    embedder: null,
    reranker: null,
    notes: [],
    dispose: () => registry.dispose(),
  };
  const pick = async <T>(role: string, ref: string | null | undefined, load: (r: string) => Promise<Availability<T>>) => {
    if (!ref) return null;
    const found = await load(ref);
    if (found.ok) return found.model;
    // The registry has logged the full reason (which files it looked for); one line here says what it means.
    out.notes.push(`${role} ${ref} unavailable (${found.code})`);
    return null;
  };
  out.generator = await pick('generator', settings?.generator ?? config.models.generator, (r) => registry.generator(r));
  if (!roles.retrieval) return out;
  out.embedder = await pick('embedder', settings?.embedder ?? config.models.embedder, (r) => registry.embedder(r));
  if (settings?.retrieval?.rerank ?? config.retrieval.rerank)
    out.reranker = await pick('reranker', settings?.reranker ?? config.models.reranker, (r) => registry.reranker(r));
  return out;
}

/** retrieval's search bound to the store, the ANN manager and the models. */
export function bindSearch(
  config: Config,
  logger: Logger,
  store: Store,
  models: AnswerModels,
): { search: SearchFn; close(): Promise<void> } {
  const ann = createAnnManager({ store, dataDir: config.dataDir, config: config.index, logger, builds: 'inline' });
  return {
    search: (request) =>
      search({ ...sqliteSearchDeps({ store, ann }), config, embedder: models.embedder, reranker: models.reranker }, request),
    close: () => ann.close(),
  };
}

/** What answer() runs with: the citation spans are ranked by the reranker when one is loaded. */
export function answerDeps(
  base: Pick<AnswerDeps, 'store' | 'config' | 'logger'>,
  models: Pick<AnswerModels, 'generator' | 'reranker'>,
  search: SearchFn,
): AnswerDeps {
  const reranker = models.reranker;
  return {
    ...base,
    generator: models.generator,
    search,
    spanScorer: reranker ? (query, texts) => reranker.score(query, texts) : null,
  };
}

function readRetrieve(value: unknown): RetrieveMode | undefined {
  if (value === undefined) return undefined;
  if (value === 'always' || value === 'never' || value === 'auto') return value;
  throw new CairnError('USAGE', `--retrieve must be always, never or auto, not "${String(value)}"`);
}

/**
 * One line per label used in the answer text: a passage cited for two sentences with two spans is
 * still one "[n]", so its quotes share that line rather than showing two entries numbered alike.
 */
export function formatCitations(result: AnswerResult): string[] {
  const byMarker = new Map<number, AnswerResult['citations']>();
  for (const c of result.citations) byMarker.set(c.marker, [...(byMarker.get(c.marker) ?? []), c]);
  return [...byMarker].map(([marker, cites]) => {
    const first = cites[0] as AnswerResult['citations'][number];
    const page = first.page === null ? '' : ` p.${first.page}`;
    const spans = cites.map((c) => `${c.start}-${c.end}`).join(', ');
    const quotes = cites.map((c) => {
      const quote = c.quote.length > 160 ? `${c.quote.slice(0, 157)}...` : c.quote;
      return `"${quote.replace(/\s+/g, ' ')}"`;
    });
    return `[${marker}] ${first.source}${page} (chars ${spans}): ${quotes.join(' ')}`;
  });
}

/**
 * What `cairn ask` shows: released text only. Gated tokens are written as they come (each one passed
 * the gate); draft tokens never are. At the end the rest of the final answer follows what was shown,
 * which after draft tokens is the whole final answer.
 */
export function createAnswerPrinter(ctx: CommandContext, write: (text: string) => void) {
  let shown = '';
  return {
    onEvent(event: AnswerEvent): void {
      if (event.type !== 'token' || event.draft || ctx.json) return;
      shown += event.text;
      write(event.text);
    },
    finish(result: AnswerResult): void {
      if (ctx.json) return;
      const rest = result.answer.startsWith(shown) ? result.answer.slice(shown.length) : '';
      ctx.stdout(rest);
      printDetails(ctx, result);
    },
  };
}

function printDetails(ctx: CommandContext, result: AnswerResult): void {
  const lines = formatCitations(result);
  if (lines.length > 0) ctx.stdout(`\nsources:\n${lines.join('\n')}`);
  if (result.decision === 'abstained' && result.closestPassages.length > 0) {
    ctx.stdout('\nclosest passages:');
    for (const p of result.closestPassages)
      ctx.stdout(`  ${p.source}${p.page === null ? '' : ` p.${p.page}`}: ${p.text.slice(0, 160).replace(/\s+/g, ' ')}`);
  }
  const score = result.score ? `, score ${result.score.total} (threshold ${result.score.threshold})` : '';
  ctx.stderr(
    `\n${result.decision}${result.abstainReason ? ` (${result.abstainReason})` : ''}${score}; answered by ${result.models.generate}`,
  );
  for (const note of [...result.notes, ...result.retrieval.notes]) ctx.stderr(`note: ${note}`);
  if (result.error) ctx.stderr(`error: ${result.error.code}: ${result.error.message} (the answer above is incomplete)`);
  if (result.chatId) ctx.stderr(`chat ${result.chatId} (continue with --chat ${result.chatId})`);
}

export const askCommand: Command = {
  name: 'ask',
  summary: 'Ask a question; answers with citations',
  usage: 'cairn ask "<question>" [--collection c] [--chat id] [--reflect|--no-reflect] [--retrieve always|never|auto] [--json]',
  options: {
    collection: { type: 'string', short: 'c', description: 'collection name (default "default")' },
    chat: { type: 'string', description: 'continue this chat' },
    'no-reflect': { type: 'boolean', description: 'skip the Self-RAG checks (faster, unchecked)' },
    reflect: { type: 'boolean', description: 'run the Self-RAG checks where the collection turns them off' },
    retrieve: { type: 'string', description: "always | never | auto (default: the collection's, else config's)" },
    k: { type: 'string', description: 'passages to retrieve' },
  },
  async run(ctx) {
    const question = ctx.args.join(' ').trim();
    if (!question) throw new CairnError('USAGE', 'cairn ask needs a question: cairn ask "<question>"');
    const collection = typeof ctx.flags.collection === 'string' ? ctx.flags.collection : 'default';
    const k = typeof ctx.flags.k === 'string' ? Number(ctx.flags.k) : undefined;
    if (k !== undefined && !(Number.isInteger(k) && k > 0))
      throw new CairnError('USAGE', `--k must be a positive integer, not "${ctx.flags.k}"`);
    const retrieve = readRetrieve(ctx.flags.retrieve);
    const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
    const stores = { store: backend.store, ...(backend.embedded ? { embedded: backend.embedded } : {}) };
    const models = await resolveAnswerModels(ctx.config, ctx.logger, stores.store, collection).catch(async (error) => {
      await backend.close();
      throw error;
    });
    const bound = {
      search: (request: Parameters<SearchFn>[0]) =>
        search(
          { ...stores, retrievers: backend.retrievers, config: ctx.config, embedder: models.embedder, reranker: models.reranker },
          request,
        ),
    };
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      if (!ctx.json) for (const note of models.notes) ctx.stderr(`note: ${note}`);
      const printer = createAnswerPrinter(ctx, (text) => process.stdout.write(text));
      const result = await answer(
        answerDeps({ ...stores, config: ctx.config, logger: ctx.logger }, models, bound.search),
        {
          collection,
          question,
          signal: controller.signal,
          ...(typeof ctx.flags.chat === 'string' ? { chatId: ctx.flags.chat } : {}),
          ...(ctx.flags['no-reflect'] === true ? { reflect: false } : ctx.flags.reflect === true ? { reflect: true } : {}),
          ...(retrieve ? { retrieve } : {}),
          ...(k !== undefined ? { k } : {}),
        },
        (event) => printer.onEvent(event),
      );
      if (ctx.json) ctx.stdout(JSON.stringify({ result, modelNotes: models.notes }));
      else printer.finish(result);
      return result.error ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      await models.dispose();
      await backend.close();
    }
  },
};
