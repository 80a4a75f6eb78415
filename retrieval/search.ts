import { type Collection, type Config, toCairnError } from '../core/index.ts';
import type { Embedder, Reranker } from '../models/index.ts';
import type { StoreContract } from '../store/contract.ts';
import { isEmptyFilter } from './filter.ts';
import { convexCombination, type Ranked, reciprocalRankFusion } from './fusion.ts';
import { buildPassages } from './passages.ts';
import { type Plan, planRequest } from './request.ts';
import { rerankCandidates } from './rerank.ts';
import type { DenseRetriever, RetrievalScope, Retrievers } from './retrievers.ts';
import type { Candidate, SearchRequest, SearchResult } from './types.ts';

export interface SearchDeps {
  store: StoreContract;
  /** The backend's retrievers and passage rows (createSqliteRetrievers on the embedded store). */
  retrievers: Retrievers;
  config: Config;
  embedder: Embedder | null;
  reranker: Reranker | null;
  /** The request's collection when the caller has already read it (one lookup per search, not two). */
  collection?: Collection;
}

/** Candidates each retriever returns when fusing or reranking: deep enough that both help. */
const FUSION_DEPTH = 100;

/** How many candidates to ask each retriever for: deep lists only when fusion or reranking will use them. */
function candidateDepth(plan: Plan, denseRuns: boolean, deps: SearchDeps): number {
  const fusing = denseRuns && plan.mode === 'hybrid';
  const reranking = plan.rerank && deps.reranker !== null;
  if (fusing || reranking) return Math.max(FUSION_DEPTH, plan.k * 2, reranking ? deps.config.retrieval.rerankTopN : 0);
  // Spare candidates replace hits merged into an earlier context window.
  return plan.k * 2 + 10;
}

type Timings = Record<string, number>;

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Whether the dense retriever can run, and why not when it cannot. */
async function openDense(deps: SearchDeps, collection: Collection, plan: Plan): Promise<DenseRetriever | null> {
  if (plan.mode === 'bm25') return null;
  if (!deps.embedder) {
    const hasVectors = (await deps.store.vectors.count(collection.id)) > 0;
    plan.notes.push(hasVectors ? 'no embedder available: BM25 only' : 'no vectors in this collection: BM25 only');
    return null;
  }
  const dense = await deps.retrievers.dense(collection.id, deps.embedder.id);
  if (!dense) plan.notes.push(`no vectors for ${deps.embedder.id} in this collection: BM25 only`);
  return dense;
}

function fuse(plan: Plan, config: Config['retrieval'], lexical: Ranked[] | null, dense: Ranked[] | null): Candidate[] {
  const bm25 = new Map((lexical ?? []).map((h) => [h.id, h.score]));
  const cos = new Map((dense ?? []).map((h) => [h.id, h.score]));
  const withScores = (id: number, fused?: number): Candidate => {
    const scores: Candidate['scores'] = {};
    const b = bm25.get(id);
    const d = cos.get(id);
    if (b !== undefined) scores.bm25 = b;
    if (d !== undefined) scores.dense = d;
    if (fused !== undefined) scores.fused = fused;
    return { rowid: id, scores };
  };
  if (lexical && dense) {
    const fused =
      plan.fusion === 'rrf'
        ? reciprocalRankFusion([lexical, dense], config.rrfK)
        : convexCombination(lexical, dense, config.convexWeight);
    return fused.map((f) => withScores(f.id, f.score));
  }
  return (lexical ?? dense ?? []).map((h) => withScores(h.id));
}

async function runLexical(deps: SearchDeps, scope: RetrievalScope, plan: Plan, depth: number): Promise<Ranked[]> {
  const { hits, noTerms } = await deps.retrievers.lexical({ ...scope, query: plan.query, k: depth });
  if (hits.length === 0 && noTerms) plan.notes.push('the query has no searchable words for BM25');
  return hits;
}

/** Embeds the query (role `query`) and searches the dense retriever inside the scope. */
async function denseSearch(embedder: Embedder, dense: DenseRetriever, scope: RetrievalScope, query: string, k: number) {
  const t0 = performance.now();
  const [vector] = await embedder.embed([query], 'query');
  const t1 = performance.now();
  if (!vector) return { hits: [] as Ranked[], embedMs: t1 - t0, searchMs: 0 };
  const hits = await dense.search({ ...scope, modelId: embedder.id, vector, k });
  return { hits, embedMs: t1 - t0, searchMs: performance.now() - t1 };
}

/** Dense search, or null with a note when the embedder or index fails: the search goes on with BM25. */
async function runDense(deps: SearchDeps, dense: DenseRetriever, scope: RetrievalScope, plan: Plan, depth: number) {
  try {
    return await denseSearch(deps.embedder as Embedder, dense, scope, plan.query, depth);
  } catch (error) {
    const e = toCairnError(error);
    plan.notes.push(`dense retrieval failed (${e.code}: ${e.message}): BM25 only`);
    return null;
  }
}

/** lexical ∥ dense: dense starts first so the embedder works while BM25 runs. */
async function retrieve(deps: SearchDeps, collection: Collection, plan: Plan, scope: RetrievalScope, timings: Timings) {
  const dense = await openDense(deps, collection, plan);
  const depth = candidateDepth(plan, dense !== null, deps);
  const densePromise = dense ? runDense(deps, dense, scope, plan, depth) : null;
  let lexical: Ranked[] | null = null;
  const lexicalStage = async () => {
    const t = performance.now();
    lexical = await runLexical(deps, scope, plan, depth);
    timings.lexical = round(performance.now() - t);
  };
  if (plan.mode !== 'dense' || !densePromise) await lexicalStage();
  const out = densePromise ? await densePromise : null;
  if (out) {
    timings.embed = round(out.embedMs);
    timings.dense = round(out.searchMs);
  } else if (lexical === null) await lexicalStage();
  return { lexical: lexical as Ranked[] | null, dense: out ? out.hits : null };
}

const NOTHING_RAN = { bm25: false, dense: false, fusion: null, rerank: false } as const;

/** lexical ∥ dense → fuse → rerank → context window. */
export async function search(deps: SearchDeps, request: SearchRequest): Promise<SearchResult> {
  const started = performance.now();
  const timings: Timings = {};
  const given = deps.collection;
  const known = given?.id === request.collection ? given : await deps.store.collections.get(request.collection);
  const plan = planRequest(request, deps.config.retrieval, known?.settings.retrieval);
  const collection = known ?? (await deps.store.collections.require(plan.collection));
  const effective = { mode: plan.mode, k: plan.k, rerank: plan.rerank };
  let t = performance.now();
  const allowed = await deps.retrievers.resolveFilter(collection.id, plan.filter);
  if (allowed) timings.filter = round(performance.now() - t);
  if (allowed && allowed.size === 0) {
    plan.notes.push('no chunks match the filter');
    timings.total = round(performance.now() - started);
    return { passages: [], ran: { ...NOTHING_RAN }, effective, notes: plan.notes, timings };
  }
  t = performance.now();
  const scope: RetrievalScope = isEmptyFilter(plan.filter)
    ? { collectionId: collection.id, allowed }
    : { collectionId: collection.id, filter: plan.filter, allowed };
  const { lexical, dense } = await retrieve(deps, collection, plan, scope, timings);
  // Wall time of lexical ∥ dense: their own timings overlap.
  timings.retrieve = round(performance.now() - t);
  t = performance.now();
  const fused = fuse(plan, deps.config.retrieval, lexical, dense);
  if (lexical && dense) timings.fusion = round(performance.now() - t);
  const rerank = await maybeRerank(deps, plan, fused, timings);
  t = performance.now();
  const passages = await buildPassages(deps.retrievers, rerank.candidates, plan.k, plan.contextWindow);
  timings.context = round(performance.now() - t);
  timings.total = round(performance.now() - started);
  return {
    passages,
    ran: { bm25: lexical !== null, dense: dense !== null, fusion: lexical && dense ? plan.fusion : null, rerank: rerank.ran },
    effective,
    notes: plan.notes,
    timings,
  };
}

async function maybeRerank(
  deps: SearchDeps,
  plan: Plan,
  candidates: Candidate[],
  timings: Timings,
): Promise<{ candidates: Candidate[]; ran: boolean }> {
  if (!plan.rerank || candidates.length === 0) return { candidates, ran: false };
  if (!deps.reranker) {
    plan.notes.push('no reranker available: results not reranked');
    return { candidates, ran: false };
  }
  const t = performance.now();
  const topN = deps.config.retrieval.rerankTopN;
  const chunks = await deps.store.chunks.getMany(candidates.slice(0, topN).map((c) => c.rowid));
  const texts = new Map(chunks.map((c) => [c.rowid, c.text]));
  const reranked = await rerankCandidates(deps.reranker, plan.query, candidates, texts, topN);
  timings.rerank = round(performance.now() - t);
  return { candidates: reranked, ran: true };
}
