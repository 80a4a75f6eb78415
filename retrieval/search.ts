import { type Collection, type Config, toCairnError } from '../core/index.ts';
import type { VectorIndex } from '../indexer/ann/index.ts';
import type { Embedder, Reranker } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import { denseSearch } from './dense.ts';
import { resolveFilter } from './filter.ts';
import { convexCombination, type Ranked, reciprocalRankFusion } from './fusion.ts';
import { createLexicalIndexCache, type LexicalIndexCache } from './lexical.ts';
import { buildPassages } from './passages.ts';
import { type Plan, planRequest } from './request.ts';
import { rerankCandidates } from './rerank.ts';
import type { Candidate, SearchRequest, SearchResult, VectorIndexSource } from './types.ts';

export interface SearchDeps {
  store: Store;
  config: Config;
  ann: VectorIndexSource;
  embedder: Embedder | null;
  reranker: Reranker | null;
  lexical?: LexicalIndexCache;
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

/** One cache per process when the caller brings none: indexes follow their store's changes. */
const sharedLexical = createLexicalIndexCache();

type Timings = Record<string, number>;

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Whether the dense retriever can run, and why not when it cannot. */
async function openDense(deps: SearchDeps, collection: Collection, plan: Plan): Promise<VectorIndex | null> {
  if (plan.mode === 'bm25') return null;
  if (!deps.embedder) {
    const hasVectors = deps.store.vectors.count(collection.id) > 0;
    plan.notes.push(hasVectors ? 'no embedder available: BM25 only' : 'no vectors in this collection: BM25 only');
    return null;
  }
  const index = await deps.ann.get(collection.id, deps.embedder.id);
  if (!index || index.size() === 0) {
    plan.notes.push(`no vectors for ${deps.embedder.id} in this collection: BM25 only`);
    return null;
  }
  return index;
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

function runLexical(deps: SearchDeps, collectionId: string, plan: Plan, depth: number, allowed: Set<number> | null): Ranked[] {
  const index = (deps.lexical ?? sharedLexical).get(deps.store, collectionId);
  const hits = index.search(plan.query, depth, allowed).map((h) => ({ id: h.rowid, score: h.score }));
  if (hits.length === 0 && index.terms(plan.query).length === 0) plan.notes.push('the query has no searchable words for BM25');
  return hits;
}

/** Dense search, or null with a note when the embedder or index fails: the search goes on with BM25. */
async function runDense(deps: SearchDeps, index: VectorIndex, plan: Plan, depth: number, allowed: Set<number> | null) {
  try {
    return await denseSearch(deps.embedder as Embedder, index, plan.query, depth, allowed);
  } catch (error) {
    const e = toCairnError(error);
    plan.notes.push(`dense retrieval failed (${e.code}: ${e.message}): BM25 only`);
    return null;
  }
}

/** lexical ∥ dense: dense starts first so the embedder works while BM25 runs. */
async function retrieve(deps: SearchDeps, collection: Collection, plan: Plan, allowed: Set<number> | null, timings: Timings) {
  const vectorIndex = await openDense(deps, collection, plan);
  const depth = candidateDepth(plan, vectorIndex !== null, deps);
  const densePromise = vectorIndex ? runDense(deps, vectorIndex, plan, depth, allowed) : null;
  let lexical: Ranked[] | null = null;
  const lexicalStage = () => {
    const t = performance.now();
    lexical = runLexical(deps, collection.id, plan, depth, allowed);
    timings.lexical = round(performance.now() - t);
  };
  if (plan.mode !== 'dense' || !densePromise) lexicalStage();
  const out = densePromise ? await densePromise : null;
  if (out) {
    timings.embed = round(out.embedMs);
    timings.dense = round(out.searchMs);
  } else if (lexical === null) lexicalStage();
  return { lexical: lexical as Ranked[] | null, dense: out ? out.hits : null };
}

const NOTHING_RAN = { bm25: false, dense: false, fusion: null, rerank: false } as const;

/** lexical ∥ dense → fuse → rerank → context window. */
export async function search(deps: SearchDeps, request: SearchRequest): Promise<SearchResult> {
  const started = performance.now();
  const timings: Timings = {};
  const given = deps.collection;
  const known = given?.id === request.collection ? given : deps.store.collections.get(request.collection);
  const plan = planRequest(request, deps.config.retrieval, known?.settings.retrieval);
  const collection = known ?? deps.store.collections.require(plan.collection);
  const effective = { mode: plan.mode, k: plan.k, rerank: plan.rerank };
  let t = performance.now();
  const allowed = resolveFilter(deps.store, collection.id, plan.filter);
  if (allowed) timings.filter = round(performance.now() - t);
  if (allowed && allowed.size === 0) {
    plan.notes.push('no chunks match the filter');
    timings.total = round(performance.now() - started);
    return { passages: [], ran: { ...NOTHING_RAN }, effective, notes: plan.notes, timings };
  }
  t = performance.now();
  const { lexical, dense } = await retrieve(deps, collection, plan, allowed, timings);
  // Wall time of lexical ∥ dense: their own timings overlap.
  timings.retrieve = round(performance.now() - t);
  t = performance.now();
  const fused = fuse(plan, deps.config.retrieval, lexical, dense);
  if (lexical && dense) timings.fusion = round(performance.now() - t);
  const rerank = await maybeRerank(deps, plan, fused, timings);
  t = performance.now();
  const passages = buildPassages(deps.store, rerank.candidates, plan.k, plan.contextWindow);
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
  const texts = new Map(deps.store.chunks.getMany(candidates.slice(0, topN).map((c) => c.rowid)).map((c) => [c.rowid, c.text]));
  const reranked = await rerankCandidates(deps.reranker, plan.query, candidates, texts, topN);
  timings.rerank = round(performance.now() - t);
  return { candidates: reranked, ran: true };
}
