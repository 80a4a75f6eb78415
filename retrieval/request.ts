import { CairnError, type CollectionRetrievalSettings, type Config } from '../core/index.ts';
import { validateFilter } from './filter.ts';
import type { FusionMethod, SearchFilter, SearchMode, SearchRequest } from './types.ts';

export const MAX_K = 1000;
const MODES: SearchMode[] = ['bm25', 'dense', 'hybrid'];
const FUSIONS: FusionMethod[] = ['rrf', 'convex'];

/** A request with every default filled in from config, checked. */
export interface Plan {
  collection: string;
  query: string;
  mode: SearchMode;
  k: number;
  rerank: boolean;
  filter: SearchFilter;
  contextWindow: number;
  fusion: FusionMethod;
  notes: string[];
}

function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CairnError('VALIDATION', `${name} must be an integer from ${min} to ${max}`, { field: name, value });
  }
  return value;
}

/** Precedence: the request's option, then the collection's setting, then config. */
export function planRequest(
  request: SearchRequest,
  config: Config['retrieval'],
  defaults: CollectionRetrievalSettings = {},
): Plan {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    throw new CairnError('VALIDATION', 'The query is empty', { field: 'query' });
  }
  const mode = request.mode ?? defaults.mode ?? config.mode;
  if (!MODES.includes(mode)) throw new CairnError('VALIDATION', `mode must be one of ${MODES.join(', ')}`, { field: 'mode' });
  const fusion = request.fusion ?? config.fusion;
  if (!FUSIONS.includes(fusion)) throw new CairnError('VALIDATION', `fusion must be rrf or convex`, { field: 'fusion' });
  const notes: string[] = [];
  let query = request.query.trim();
  if (query.length > config.maxQueryChars) {
    query = query.slice(0, config.maxQueryChars);
    notes.push(`query truncated to ${config.maxQueryChars} characters`);
  }
  return {
    collection: request.collection,
    query,
    mode,
    k: checkInteger(request.k ?? defaults.k ?? config.k, 'k', 1, MAX_K),
    rerank: request.rerank ?? defaults.rerank ?? config.rerank,
    filter: validateFilter(request.filter),
    contextWindow: checkInteger(request.contextWindow ?? config.contextWindow, 'contextWindow', 0, 20),
    fusion,
    notes,
  };
}
