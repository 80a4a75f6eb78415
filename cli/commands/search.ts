import { CairnError, type CollectionRetrievalSettings, type Config, type Logger, type Passage } from '../../core/index.ts';
import { createModelRegistry, type Embedder, type ModelRegistry, type Reranker } from '../../models/index.ts';
import { type MetadataCondition, type SearchFilter, type SearchMode, type SearchResult, search } from '../../retrieval/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { Command, CommandContext } from '../context.ts';

export interface SearchModels {
  embedder: Embedder | null;
  reranker: Reranker | null;
  /** Why a model is missing, for the result's notes. */
  notes: string[];
  dispose(): Promise<void>;
}

/**
 * Loads only the models a search will use: no embedder when the mode is bm25 or the collection has
 * no vectors, no reranker unless reranking is on. A missing model is a note, never an error.
 */
export async function loadSearchModels(
  config: Config,
  logger: Logger,
  want: { embedder: string | null; reranker: string | null },
): Promise<SearchModels> {
  const notes: string[] = [];
  let registry: ModelRegistry | null = null;
  const open = () => {
    registry ??= createModelRegistry({ config, logger });
    return registry;
  };
  let embedder: Embedder | null = null;
  let reranker: Reranker | null = null;
  if (want.embedder) {
    const found = await open().embedder(want.embedder);
    if (found.ok) embedder = found.model;
    else notes.push(`embedder ${want.embedder} unavailable (${found.code}): BM25 only`);
  }
  if (want.reranker) {
    const found = await open().reranker(want.reranker);
    if (found.ok) reranker = found.model;
    else notes.push(`reranker ${want.reranker} unavailable (${found.code}): results not reranked`);
  }
  return { embedder, reranker, notes, dispose: async () => registry?.dispose() };
}

/** The registry's specific reason replaces search's generic note for the same missing model. */
export function mergeNotes(modelNotes: string[], searchNotes: string[]): string[] {
  const missing = (role: string) => modelNotes.some((n) => n.startsWith(`${role} `));
  const generic = (n: string) =>
    (n === 'no embedder available: BM25 only' && missing('embedder')) ||
    (n === 'no reranker available: results not reranked' && missing('reranker'));
  return [...modelNotes, ...searchNotes.filter((n) => !generic(n))];
}

const FILTER_ARG = /^([A-Za-z][\w.:-]*?)\s*(>=|<=|=|>|<)\s*(.*)$/s;
const LIST_KEYS: Record<string, keyof SearchFilter> = {
  document: 'documentIds',
  documentIds: 'documentIds',
  mime: 'mime',
  language: 'language',
  lang: 'language',
  tag: 'tags',
  tags: 'tags',
};

/** CLI text to a metadata value: numbers and booleans as such, and equality also matches the text. */
function metadataValue(op: string, raw: string): MetadataCondition {
  const typed = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  if (op === '=') return typed === raw ? raw : { in: [typed, raw] };
  const bound = typeof typed === 'boolean' ? raw : typed;
  return { '>': { gt: bound }, '>=': { gte: bound }, '<': { lt: bound }, '<=': { lte: bound } }[op] as MetadataCondition;
}

function addDate(filter: SearchFilter, key: 'created' | 'updated', op: string, value: string): void {
  if (op === '=') {
    filter[key] = { from: value, to: value };
    return;
  }
  filter[key] = { ...filter[key], ...(op.startsWith('>') ? { from: value } : { to: value }) };
}

/**
 * `--filter` arguments (`key=value`, `key>=value` …) to a SearchFilter: document, source (glob),
 * mime, language, tag (repeatable or comma-separated), created/updated with = >= <= > <, and
 * `metadata.<key>` (or `meta.<key>`) with any of them. Other keys reach validation, which names them.
 */
export function parseFilterArgs(args: string[]): SearchFilter {
  const filter: Record<string, unknown> & SearchFilter = {};
  for (const arg of args) {
    const match = FILTER_ARG.exec(arg);
    if (!match) throw new CairnError('USAGE', `--filter "${arg}" is not key=value (or key>=value, key<=value)`);
    const [, key = '', op = '=', value = ''] = match;
    const listKey = LIST_KEYS[key];
    if (listKey && op === '=') {
      const list = (filter[listKey] as string[] | undefined) ?? [];
      filter[listKey] = [
        ...list,
        ...value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      ] as never;
    } else if (key === 'source' && op === '=') filter.source = value;
    else if ((key === 'created' || key === 'updated') && value) addDate(filter, key, op, value);
    else if (key.startsWith('metadata.') || key.startsWith('meta.')) {
      const name = key.slice(key.indexOf('.') + 1);
      filter.metadata = { ...filter.metadata, [name]: metadataValue(op, value) };
    } else filter[key] = value;
  }
  return filter;
}

function formatPassage(p: Passage, i: number): string {
  const where = [p.source, p.page !== null ? `page ${p.page}` : null].filter(Boolean).join(', ');
  const scores = Object.entries(p.scores)
    .map(([stage, score]) => `${stage} ${Number(score).toFixed(4)}`)
    .join(' · ');
  const heading = p.headings.length > 0 ? `\n   ${p.headings.join(' › ')}` : '';
  const text = p.text.replace(/\s+/g, ' ').trim();
  return `${i + 1}. ${p.title || p.source} (${where}) [${scores}]${heading}\n   ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`;
}

export function formatResult(result: SearchResult): string {
  const ran = Object.entries(result.ran)
    .filter(([, v]) => v)
    .map(([stage, v]) => (typeof v === 'string' ? `${stage} (${v})` : stage));
  const lines = result.passages.length > 0 ? result.passages.map(formatPassage) : ['no results'];
  lines.push(`ran: ${ran.join(', ') || 'nothing'} in ${result.timings.total ?? 0} ms`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

function flagString(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A flag wins, then the collection's own setting, then config. */
export function readMode(ctx: CommandContext, own?: CollectionRetrievalSettings): SearchMode {
  const mode = flagString(ctx, 'mode') ?? own?.mode ?? ctx.config.retrieval.mode;
  if (mode !== 'bm25' && mode !== 'dense' && mode !== 'hybrid')
    throw new CairnError('USAGE', `--mode must be bm25, dense or hybrid, not "${mode}"`);
  return mode;
}

export function readRerank(ctx: CommandContext, own?: CollectionRetrievalSettings): boolean {
  if (ctx.flags['no-rerank'] === true) return false;
  return ctx.flags.rerank === true || (own?.rerank ?? ctx.config.retrieval.rerank);
}

function readK(ctx: CommandContext, own?: CollectionRetrievalSettings): number {
  const raw = flagString(ctx, 'k');
  if (raw === undefined) return own?.k ?? ctx.config.retrieval.k;
  if (!/^\d+$/.test(raw)) throw new CairnError('USAGE', `--k must be a positive integer, not "${raw}"`);
  return Number(raw);
}

async function runSearch(ctx: CommandContext): Promise<number> {
  const query = ctx.args.join(' ');
  if (query.trim() === '') throw new CairnError('USAGE', 'cairn search needs a query: cairn search "<query>"');
  const collectionName = flagString(ctx, 'collection') ?? 'default';
  const filterArgs = ctx.flags.filter;
  const filter = parseFilterArgs(Array.isArray(filterArgs) ? filterArgs : typeof filterArgs === 'string' ? [filterArgs] : []);
  readMode(ctx); // a bad --mode is a usage error before anything opens
  const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
  const { store } = backend;
  let models: SearchModels | null = null;
  try {
    const collection = await store.collections.require(collectionName);
    const own = collection.settings.retrieval;
    const mode = readMode(ctx, own);
    const rerank = readRerank(ctx, own);
    const hasVectors = (await store.vectors.count(collection.id)) > 0;
    models = await loadSearchModels(ctx.config, ctx.logger, {
      embedder: mode !== 'bm25' && hasVectors ? (collection.settings.embedder ?? ctx.config.models.embedder) : null,
      reranker: rerank ? (collection.settings.reranker ?? ctx.config.models.reranker) : null,
    });
    const request = { collection: collection.id, query, mode, k: readK(ctx, own), rerank, filter };
    const result = await search(
      { store, retrievers: backend.retrievers, config: ctx.config, embedder: models.embedder, reranker: models.reranker },
      request,
    );
    result.notes = mergeNotes(models.notes, result.notes);
    ctx.stdout(ctx.json ? JSON.stringify(result) : formatResult(result));
    return 0;
  } finally {
    await models?.dispose();
    await backend.close();
  }
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'Search a collection',
  usage:
    'cairn search "<query>" [--collection c] [--mode bm25|dense|hybrid] [--rerank|--no-rerank] [--k n] [--filter key=value ...] [--json]',
  options: {
    collection: { type: 'string', short: 'c', description: 'collection name (default "default")' },
    mode: { type: 'string', description: "bm25, dense or hybrid (default: the collection's, else config's: hybrid)" },
    rerank: {
      type: 'boolean',
      description: "rerank with the cross-encoder (default: the collection's setting, else on when one is configured)",
    },
    'no-rerank': { type: 'boolean', description: 'skip reranking' },
    k: { type: 'string', description: "number of passages (default: the collection's, else 8)" },
    filter: {
      type: 'string',
      multiple: true,
      description: 'document=, source=<glob>, mime=, language=, tag=, created>=, updated<=, metadata.<key>=|>=|<=',
    },
  },
  run: runSearch,
};
