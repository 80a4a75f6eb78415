import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, estimateTokens, type Logger } from '../../core/index.ts';
import { createAnnManager } from '../../indexer/ann/index.ts';
import type { Embedder, Reranker } from '../../models/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { createLexicalIndexCache } from '../lexical.ts';
import { sqliteSearchDeps } from '../retrievers.ts';
import { search } from '../search.ts';
import type { FusionMethod, SearchMode, SearchRan } from '../types.ts';
import { type BeirData, type BeirDoc, loadBeir } from './beir-data.ts';
import { averageScores, type MetricName, percentile, scoreQuery } from './metrics.ts';

export interface BeirEvalOptions {
  folder: string;
  split?: string;
  mode: SearchMode;
  rerank: boolean;
  fusion?: FusionMethod;
  /** Evaluate only the first n queries. */
  limit?: number;
}

export interface EvalDeps {
  config: Config;
  logger: Logger;
  embedder: Embedder | null;
  reranker: Reranker | null;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (message: string) => void;
}

export interface BeirReport {
  dataset: string;
  documents: number;
  queries: number;
  mode: SearchMode;
  fusion: FusionMethod | null;
  embedder: string | null;
  reranker: string | null;
  ran: SearchRan;
  notes: string[];
  metrics: Record<MetricName, number>;
  latencyMs: { p50: number; p95: number; mean: number };
  seconds: { ingest: number; search: number };
}

export const BEIR_COLLECTION = 'beir';
/** Results per query: Recall@100 needs a hundred. */
const DEPTH = 100;

/** One chunk per BEIR document, title as its search title, source = the BEIR id; vectors when an embedder is given. */
export async function ingestBeirCorpus(
  store: Store,
  corpus: BeirDoc[],
  deps: Pick<EvalDeps, 'config' | 'embedder' | 'onProgress'>,
): Promise<void> {
  store.collections.create({ name: BEIR_COLLECTION, settings: { embedder: deps.embedder?.id ?? null } });
  const batch = deps.embedder ? deps.config.models.embedBatchSize : 1000;
  for (let i = 0; i < corpus.length; i += batch) {
    const slice = corpus.slice(i, i + batch);
    const vectors = deps.embedder
      ? await deps.embedder.embed(
          slice.map((d) => (d.title ? `${d.title}\n${d.text}` : d.text)),
          'passage',
        )
      : null;
    store.db.transaction(() => {
      slice.forEach((doc, j) => {
        writeDoc(store, doc, vectors?.[j], deps.embedder);
      });
    })();
    const done = Math.min(i + batch, corpus.length);
    if (done === corpus.length || (i / batch) % 20 === 19) deps.onProgress?.(`ingested ${done}/${corpus.length} documents`);
  }
}

function writeDoc(store: Store, doc: BeirDoc, vector: Float32Array | undefined, embedder: Embedder | null): void {
  const id = `${BEIR_COLLECTION}:${doc.id}`;
  store.documents.write(
    {
      id,
      collectionId: BEIR_COLLECTION,
      source: doc.id,
      mime: 'text/plain',
      title: doc.title,
      language: null,
      contentHash: id,
      text: doc.text,
      pages: [],
      metadata: {},
      tags: [],
      bytes: doc.text.length,
    },
    [
      {
        id: `${id}#0`,
        ordinal: 0,
        text: doc.text,
        start: 0,
        end: doc.text.length,
        page: null,
        headings: [],
        tokenCount: estimateTokens(doc.text),
        metadata: {},
        searchTitle: doc.title,
      },
    ],
    vector && embedder ? { modelId: embedder.id, dimensions: vector.length, vectors: [vector] } : undefined,
  );
}

async function runQueries(store: Store, dataDir: string, data: BeirData, options: BeirEvalOptions, deps: EvalDeps) {
  const ann = createAnnManager({ store, dataDir, config: deps.config.index, logger: deps.logger, builds: 'inline' });
  const searchDeps = {
    ...sqliteSearchDeps({ store, ann, lexical: createLexicalIndexCache() }),
    config: deps.config,
    embedder: deps.embedder,
    reranker: deps.reranker,
  };
  const queries = options.limit ? data.queries.slice(0, options.limit) : data.queries;
  const perQuery: Record<MetricName, number>[] = [];
  const latencies: number[] = [];
  const notes = new Set<string>();
  let ran: SearchRan = { bm25: false, dense: false, fusion: null, rerank: false };
  try {
    for (const [n, query] of queries.entries()) {
      const request = {
        collection: BEIR_COLLECTION,
        query: query.text,
        mode: options.mode,
        k: DEPTH,
        rerank: options.rerank,
        contextWindow: 0,
      };
      const t = performance.now();
      const result = await search(searchDeps, options.fusion ? { ...request, fusion: options.fusion } : request);
      // The first query also builds the in-memory indexes: it is not a steady-state latency.
      if (n > 0) latencies.push(performance.now() - t);
      ran = result.ran;
      for (const note of result.notes) notes.add(note);
      perQuery.push(scoreQuery([...new Set(result.passages.map((p) => p.source))], data.qrels.get(query.id) ?? new Map()));
      if ((n + 1) % 1000 === 0) deps.onProgress?.(`searched ${n + 1}/${queries.length} queries`);
    }
  } finally {
    await ann.close();
  }
  return { perQuery, latencies, notes: [...notes], ran, count: queries.length };
}

const ms = (x: number) => Math.round(x * 1000) / 1000;

/** Ingests a BEIR-format dataset into a temporary data folder, runs every query and scores the rankings. */
export async function evaluateBeir(deps: EvalDeps, options: BeirEvalOptions): Promise<BeirReport> {
  const data = loadBeir(options.folder, options.split);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-eval-'));
  const store = openStore({ dataDir });
  try {
    const t0 = performance.now();
    await ingestBeirCorpus(store, data.corpus, deps);
    const t1 = performance.now();
    const count = options.limit ? Math.min(options.limit, data.queries.length) : data.queries.length;
    deps.onProgress?.(`running ${count} queries (${options.mode})`);
    const run = await runQueries(store, dataDir, data, options, deps);
    const t2 = performance.now();
    const mean = run.latencies.reduce((a, x) => a + x, 0) / Math.max(1, run.latencies.length);
    return {
      dataset: data.name,
      documents: data.corpus.length,
      queries: run.count,
      mode: options.mode,
      fusion: run.ran.fusion,
      embedder: deps.embedder?.id ?? null,
      reranker: run.ran.rerank ? (deps.reranker?.id ?? null) : null,
      ran: run.ran,
      notes: run.notes,
      metrics: averageScores(run.perQuery),
      latencyMs: { p50: ms(percentile(run.latencies, 50)), p95: ms(percentile(run.latencies, 95)), mean: ms(mean) },
      seconds: { ingest: ms((t1 - t0) / 1000), search: ms((t2 - t1) / 1000) },
    };
  } finally {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
