import type { Citation, Config, Logger, Passage } from '../core/index.ts';
import type { ChatTurn, Generator } from '../models/types.ts';
import type { SearchFilter, SearchRequest, SearchResult } from '../retrieval/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { Store } from '../store/index.ts';
import type { SpanScorer } from './citations.ts';

/** retrieval's search() bound to its deps (tests pass fakes). */
export type SearchFn = (request: SearchRequest) => Promise<SearchResult>;

export interface AnswerDeps {
  store: StoreContract;
  /** The embedded SQLite store, whose data tables answer by SQL and cell lookup; absent on PostgreSQL (no tables). */
  embedded?: Store;
  config: Config;
  /** null → the extractive answerer, which says so in the result. */
  generator: Generator | null;
  search: SearchFn;
  logger: Logger;
  /**
   * Ranks the sentence runs a citation may quote (the collection's cross-encoder); absent or null →
   * word overlap. Citations say which chose their span (`spanBasis`).
   */
  spanScorer?: SpanScorer | null;
}

export type RetrieveMode = 'always' | 'never' | 'auto';

export interface AskRequest {
  collection: string;
  question: string;
  /** Continue this chat: earlier turns condense the question and the turn is appended. */
  chatId?: string;
  /** Store the turn in a chat (a new one when chatId is absent). Default true. */
  persist?: boolean;
  /**
   * Earlier turns the caller keeps itself (OpenAI clients send the whole conversation each time):
   * used like a chat's stored turns, when no chatId is given.
   */
  history?: ChatTurn[];
  reflect?: boolean;
  retrieve?: RetrieveMode;
  filter?: SearchFilter;
  k?: number;
  signal?: AbortSignal;
}

export type Support = 'full' | 'partial' | 'none';
export type Decision = 'answered' | 'revised' | 'abstained';
export type AbstainReason =
  | 'empty_collection'
  | 'no_relevant_passages'
  | 'model_declined'
  | 'unsupported'
  | 'below_threshold'
  | 'no_match'
  /** A grader's output was not valid twice: the answer could not be checked, so it is withheld. */
  | 'ungraded';
export type StageName =
  | 'condense'
  | 'retrieve_decision'
  | 'retrieve'
  | 'isrel'
  | 'rewrite'
  | 'generate'
  | 'issup'
  | 'revise'
  | 'isuse'
  | 'gate';

/** A passage with its marker number and its ISREL verdict. */
export interface GradedPassage {
  marker: number;
  passage: Passage;
  /** The grader's verdict; null when no grader ran (extractive, or --no-reflect). */
  relevant: boolean | null;
  /** Rerank score where retrieval reranked. */
  rerank: number | null;
  /** Grader verdict (1/0) combined with the rerank score; the ISREL value used by the gate. */
  score: number;
  kept: boolean;
}

export interface SentenceVerdict {
  text: string;
  /** Offsets into the answer text. */
  start: number;
  end: number;
  markers: number[];
  /** null when not graded (no reflection, or no passages). */
  support: Support | null;
  removed: boolean;
}

export interface GateScore {
  total: number;
  /** The threshold the total was compared with: the configured one, scaled when likelihood is unavailable. */
  threshold: number;
  configuredThreshold: number;
  isrel: number;
  issup: number;
  /** ISUSE mapped onto [-1, 1] as in Self-RAG ({1..5} → {-1, -0.5, 0, 0.5, 1}). */
  isuse: number;
  /** exp(mean token logprob) where the backend reports log-probabilities. */
  likelihood: number | null;
  /** 'unavailable': the backend reported no token probabilities, so the term is out of total and threshold. */
  likelihoodStatus: 'measured' | 'unavailable';
  /** Lowest and highest total possible with the terms counted. */
  min: number;
  max: number;
  weights: { isrel: number; issup: number; isuse: number; likelihood: number };
}

export interface AnswerResult {
  question: string;
  /** The question the pipeline worked on: condensed from the chat and truncated if too long. */
  standaloneQuestion: string;
  answer: string;
  decision: Decision;
  abstainReason: AbstainReason | null;
  /** The answerer that produced the answer; none when it abstained before one ran (an empty collection, nothing relevant). */
  mode: AnswerMode;
  /** false when generation failed, timed out or was cancelled: answer holds what was produced. */
  complete: boolean;
  error: { code: string; message: string } | null;
  citations: Citation[];
  sentences: SentenceVerdict[];
  passages: GradedPassage[];
  /** On abstention, the passages that came closest. */
  closestPassages: Passage[];
  isuse: number | null;
  score: GateScore | null;
  retrieval: {
    mode: RetrieveMode;
    /** The generator's Retrieve verdict in auto mode; null when the mode decided. */
    verdict: boolean | null;
    ran: boolean;
    queries: string[];
    rewritten: boolean;
    notes: string[];
    /** The search mode, k and rerank the last retrieval used (request, else collection, else config). */
    search?: { mode: 'bm25' | 'dense' | 'hybrid'; k: number; rerank: boolean };
  };
  /** Milliseconds per stage, plus `total`. */
  timings: Record<string, number>;
  /** Which model did what: stage → model id ('extractive' or null when nothing ran). */
  models: { generate: string; grade: string | null; condense: string | null; retrieval: unknown };
  chatId: string | null;
  notes: string[];
  /** Set when tables answered: the SQL, its result table, and the source row of each result row. */
  table?: {
    route: 'sql' | 'passages' | 'both';
    sql: string | null;
    columns: string[];
    rows: (string | number | null)[][];
    truncated: boolean;
    tables: { name: string; source: string; sheet: string | null; page: number | null }[];
    /** Result rows that are table rows (`_row` kept): the row passage each one is. */
    sourceRows: { table: string; row: number; chunkId: string | null }[];
    /** The last error when no query ran (after its one retry). */
    error: string | null;
  };
}

export type AnswerMode = 'generative' | 'extractive' | 'none';

/**
 * `token` without `draft` is released text: it passed the gate and is never taken back, and the
 * released tokens concatenate to the final answer. `draft: true` tokens (answer.stream "draft")
 * are unchecked and replaced by `final`, which every successful answer sends before `done`.
 */
export type AnswerEvent =
  | { type: 'retrieved'; query: string; attempt: number; passages: Passage[] }
  | { type: 'reflection'; stage: StageName; verdict: unknown }
  | { type: 'token'; text: string; draft?: true }
  | { type: 'citation'; citation: Citation }
  | { type: 'final'; answer: string; citations: Citation[] }
  | { type: 'done'; result: AnswerResult }
  | { type: 'error'; error: { code: string; message: string }; result: AnswerResult };

export type EmitFn = (event: AnswerEvent) => void;
