import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { storeSchema } from './config-store.ts';
import { CairnError } from './errors.ts';

/**
 * One typed config object: defaults ← cairn.config.json ← CAIRN_* environment ← flags.
 * Each room owns one section; unknown keys are errors so typos are caught, not ignored.
 */
const chunkingSchema = z
  .strictObject({
    splitter: z.enum(['auto', 'recursive', 'sentence', 'token', 'markdown']).default('auto'),
    size: z.number().int().positive().default(512),
    overlap: z.number().int().nonnegative().default(64),
    unit: z.enum(['tokens', 'chars']).default('tokens'),
  })
  .refine((c) => c.overlap < c.size, { message: 'overlap must be smaller than size', path: ['overlap'] });

const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8787),
  corsOrigins: z.array(z.string()).default([]),
  /** Host names (besides the bound address, and loopback names when bound to loopback) a request may name; `*` turns the check off. */
  allowedHosts: z.array(z.string()).default([]),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
  maxFilesPerRequest: z.number().int().positive().default(100),
  maxDecompressedBytes: z
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  /** ZIP containers (DOCX): entries per archive, inflated/compressed ratio per entry, archives inside archives. */
  maxArchiveEntries: z.number().int().positive().max(65_535).default(10_000),
  maxArchiveRatio: z.number().positive().default(200),
  maxArchiveDepth: z.number().int().nonnegative().default(1),
  rateLimitPerMinute: z.number().int().positive().default(600),
  /** Embed keys (public, on web pages): requests a minute per key unless the key sets its own, and per visitor session. */
  embedRatePerMinute: z.number().int().positive().default(120),
  embedVisitorRatePerMinute: z.number().int().positive().default(20),
  maxConcurrentAsks: z.number().int().positive().default(4),
  maxQueuedAsks: z.number().int().nonnegative().default(32),
  requestTimeoutMs: z.number().int().positive().default(120_000),
  sseHeartbeatMs: z.number().int().positive().default(15_000),
  shutdownGraceMs: z.number().int().nonnegative().default(10_000),
  /** Threads that run searches off the HTTP event loop; `auto` = cores − 1 (1 to 4); 0 = in-thread. */
  searchWorkers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default('auto'),
});

const modelsSchema = z.strictObject({
  /** Where downloaded models live; default `<dataDir>/models`. */
  cacheDir: z.string().nullable().default(null),
  embedder: z.string().nullable().default('Xenova/bge-small-en-v1.5'),
  reranker: z.string().nullable().default('Xenova/ms-marco-MiniLM-L-6-v2'),
  generator: z.string().nullable().default('hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M'),
  gpu: z.enum(['auto', 'cuda', 'vulkan', 'metal', 'cpu']).default('auto'),
  threads: z.number().int().nonnegative().default(0),
  contextSize: z.number().int().positive().default(4096),
  sequences: z.number().int().positive().default(2),
  embedBatchSize: z.number().int().positive().default(32),
  dtype: z.enum(['fp32', 'fp16', 'q8']).default('fp32'),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
  openaiBaseUrl: z.string().nullable().default(null),
  openaiApiKey: z.string().nullable().default(null),
  requestTimeoutMs: z.number().int().positive().default(60_000),
});

const ingestSchema = z.strictObject({
  chunking: chunkingSchema.default({ splitter: 'auto', size: 512, overlap: 64, unit: 'tokens' }),
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  maxPages: z.number().int().positive().default(5000),
  maxChunksPerDocument: z.number().int().positive().default(100_000),
  pdfPasswords: z.record(z.string(), z.string()).default({}),
  jsonlTextField: z.string().default('text'),
  allowPrivateUrls: z.boolean().default(false),
  fetchTimeoutMs: z.number().int().positive().default(30_000),
  maxRedirects: z.number().int().nonnegative().default(5),
  crawlDepth: z.number().int().nonnegative().default(0),
  crawlMaxPages: z.number().int().positive().default(50),
  include: z.array(z.string()).default([]),
  exclude: z.array(z.string()).default(['**/node_modules/**', '**/.git/**']),
  /** OCR of PDF pages without a text layer and of image files: auto (pages with too little text), off, force (every page). */
  ocr: z.enum(['auto', 'off', 'force']).default('auto'),
  /** PDF render scale for OCR (1 = 72 dpi); 2 read every word of the reference scans at the least cost. */
  ocrScale: z.number().positive().max(6).default(2),
  /** auto mode OCRs a page that paints an image and has fewer text-layer characters (spaces aside) than this: a page number is not a text layer. */
  ocrMinTextChars: z.number().int().nonnegative().default(8),
  /** Pages whose mean OCR confidence (0..1) is below this are reported in the document's metadata. */
  ocrMinConfidence: z.number().min(0).max(1).default(0.6),
  /** Largest page image OCR'd, in pixels (the render scale is lowered to fit): bounds memory per page. */
  ocrMaxPixels: z.number().int().positive().default(8_000_000),
  /** A page OCR takes longer than this on is skipped and reported, and the OCR worker restarted: one bad page never stalls a document. */
  ocrPageTimeoutMs: z.number().int().positive().default(120_000),
  /** auto: an image covering at least this share of a text page, with no text layer over it, is OCR'd and its new lines appended to the page (1 = only page-sized images). */
  ocrRegionMinShare: z.number().min(0).max(1).default(0.25),
});

const indexSchema = z.strictObject({
  kind: z.enum(['auto', 'flat', 'hnsw', 'ivf']).default('auto'),
  autoFlatBelow: z.number().int().positive().default(20_000),
  hnswM: z.number().int().positive().default(16),
  hnswEfConstruction: z.number().int().positive().default(200),
  // 64 reaches recall@10 0.99 at 100k clustered vectors but only 0.90 at 1M; 128 gives 0.98 there for ~6% fewer queries/s at 100k.
  hnswEf: z.number().int().positive().default(128),
  ivfNprobe: z.number().int().positive().default(16),
  ivfQuantize: z.boolean().default(false),
  metric: z.enum(['cosine', 'ip', 'l2']).default('cosine'),
  /** Below this fraction of the collection, a filtered hnsw search is answered exactly over the allowed set. */
  hnswExactFilterBelow: z.number().min(0).max(1).default(0.05),
  /** 'auto' loads the hnswlib build compiled for this CPU (`npm run build:native`) when present. */
  hnswNative: z.enum(['auto', 'off']).default('auto'),
  /** IVF lists; 0 = about 4·√N. */
  ivfNlist: z.number().int().nonnegative().default(0),
  ivfRescore: z.number().int().positive().default(8),
  ivfIterations: z.number().int().positive().default(8),
  /** An index caught up by more changes than this is saved right away. */
  saveAfterChanges: z.number().int().positive().default(1000),
  /**
   * Index work for collections under this many vectors runs in the search that needs it (it costs
   * milliseconds); above it, builds, catch-ups and saves run in a background thread while searches
   * use the last complete index plus an exact scan of the changes not yet in it.
   */
  inlineBelow: z.number().int().nonnegative().default(10_000),
  /** Threads for an hnsw build with the host hnswlib build; 'auto' = the number of cores. */
  buildThreads: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
});

const retrievalSchema = z.strictObject({
  mode: z.enum(['bm25', 'dense', 'hybrid']).default('hybrid'),
  k: z.number().int().positive().default(8),
  // Convex beat RRF on SciFact at every dense weight tried (README, "Hybrid fusion").
  fusion: z.enum(['rrf', 'convex']).default('convex'),
  rrfK: z.number().positive().default(60),
  convexWeight: z.number().min(0).max(1).default(0.5),
  rerank: z.boolean().default(true),
  rerankTopN: z.number().int().positive().default(50),
  contextWindow: z.number().int().nonnegative().default(1),
  maxQueryChars: z.number().int().positive().default(2000),
});

const answerSchema = z.strictObject({
  retrieve: z.enum(['always', 'never', 'auto']).default('always'),
  reflect: z.boolean().default(true),
  threshold: z.number().default(1.2),
  weights: z
    .strictObject({
      isrel: z.number().default(1),
      issup: z.number().default(1),
      isuse: z.number().default(0.5),
      /** Weight of exp(mean token logprob), counted only where the backend reports log-probabilities. */
      likelihood: z.number().default(1),
    })
    .default({ isrel: 1, issup: 1, isuse: 0.5, likelihood: 1 }),
  /** ISREL: a passage is kept when (1 - rerankWeight)·grader + rerankWeight·rerank ≥ relevanceThreshold. */
  relevanceThreshold: z.number().min(0).max(1).default(0.5),
  rerankWeight: z.number().min(0).max(1).default(0.5),
  /** What to do with unsupported sentences: drop them, or regenerate once from the supporting passages. */
  revise: z.enum(['remove', 'regenerate']).default('remove'),
  maxTokens: z.number().int().positive().default(512),
  temperature: z.number().min(0).max(2).default(0.2),
  maxQuestionChars: z.number().int().positive().default(4000),
  /** Per generator call (each stream or grader call), so a stalled backend never hangs an answer. */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Earlier chat turns used to condense a follow-up question. */
  historyTurns: z.number().int().nonnegative().default(6),
  /** Passages shown with an abstention. */
  closestPassages: z.number().int().nonnegative().default(3),
  /** Extractive answerer: the confidence (0..1, generation/extractive-confidence.ts) below which it abstains, and sentences per answer. */
  extractiveMinOverlap: z.number().min(0).max(1).default(0.37),
  extractiveSentences: z.number().int().positive().default(2),
  /** gated: text reaches clients sentence by sentence once the gate keeps it; draft: raw tokens marked draft, then a final event. */
  stream: z.enum(['gated', 'draft']).default('gated'),
});

const jobsSchema = z.strictObject({
  /** Finished jobs older than this are deleted (at start and hourly). */
  retentionDays: z.number().positive().default(30),
  /** Starts of a job that never finished (it crashed the process) before it is failed instead of run again. */
  maxAttempts: z.number().int().positive().default(3),
  /**
   * Instances sharing PostgreSQL: a running job's lease, renewed every third of it; a job whose
   * instance died is taken over once it runs out.
   */
  leaseMs: z.number().int().min(100).default(30_000),
  /** Instances sharing PostgreSQL look for waiting jobs this often when no NOTIFY woke them. */
  pollMs: z.number().int().min(10).default(1000),
});

/** Tables found in documents and the SQL run over them (answers and the direct SQL endpoint). */
const tablesSchema = z.strictObject({
  /** A query is stopped at this many milliseconds. */
  timeoutMs: z.number().int().positive().default(2000),
  /** Result rows returned; more are cut and the result says so. */
  maxRows: z.number().int().positive().default(1000),
  /** Table rows a query may read in all (a cross join counts every combination) before it is stopped. */
  maxScannedRows: z.number().int().positive().default(20_000_000),
  /** A recursive CTE must carry a LIMIT of at most this. */
  maxRecursion: z.number().int().positive().default(1000),
  /** Queries running at once; more wait for none and are refused as busy. */
  maxConcurrent: z.number().int().positive().default(4),
});

export const configSchema = z.strictObject({
  dataDir: z.string().default('./data'),
  offline: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  server: serverSchema.default(serverSchema.parse({})),
  models: modelsSchema.default(modelsSchema.parse({})),
  ingest: ingestSchema.default(ingestSchema.parse({})),
  index: indexSchema.default(indexSchema.parse({})),
  retrieval: retrievalSchema.default(retrievalSchema.parse({})),
  answer: answerSchema.default(answerSchema.parse({})),
  jobs: jobsSchema.default(jobsSchema.parse({})),
  tables: tablesSchema.default(tablesSchema.parse({})),
  store: storeSchema.default(storeSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export interface LoadConfigOptions {
  /** Working folder where cairn.config.json is looked for. */
  cwd?: string;
  /** Explicit config file (--config); must exist. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, as a nested partial object. */
  flags?: Record<string, unknown>;
}

type EnvKind = 'string' | 'number' | 'boolean' | 'list' | 'nullable';

/** Environment variables and the config paths they set, with how to read their text. */
const ENV_MAP: Record<string, [string, EnvKind]> = {
  CAIRN_DATA_DIR: ['dataDir', 'string'],
  CAIRN_DATA: ['dataDir', 'string'],
  CAIRN_OFFLINE: ['offline', 'boolean'],
  CAIRN_OCR: ['ingest.ocr', 'string'],
  CAIRN_LOG_LEVEL: ['logLevel', 'string'],
  CAIRN_HOST: ['server.host', 'string'],
  CAIRN_PORT: ['server.port', 'number'],
  CAIRN_CORS_ORIGINS: ['server.corsOrigins', 'list'],
  CAIRN_ALLOWED_HOSTS: ['server.allowedHosts', 'list'],
  CAIRN_SEARCH_WORKERS: ['server.searchWorkers', 'number'],
  CAIRN_MODELS_DIR: ['models.cacheDir', 'string'],
  CAIRN_EMBEDDER: ['models.embedder', 'nullable'],
  CAIRN_RERANKER: ['models.reranker', 'nullable'],
  CAIRN_GENERATOR: ['models.generator', 'nullable'],
  CAIRN_GPU: ['models.gpu', 'string'],
  CAIRN_THREADS: ['models.threads', 'number'],
  CAIRN_OPENAI_BASE_URL: ['models.openaiBaseUrl', 'nullable'],
  CAIRN_OPENAI_API_KEY: ['models.openaiApiKey', 'nullable'],
  CAIRN_DATABASE_URL: ['store.url', 'nullable'],
  CAIRN_DATABASE_POOL_SIZE: ['store.poolSize', 'number'],
};

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const fileLayer = readConfigFile(
    options.file ? path.resolve(cwd, options.file) : path.join(cwd, 'cairn.config.json'),
    Boolean(options.file),
  );
  const envLayer = readEnv(options.env ?? {});
  const merged = deepMerge(deepMerge(fileLayer, envLayer), options.flags ?? {});
  const config = parseConfig(merged);
  return { ...config, dataDir: path.resolve(cwd, config.dataDir) };
}

export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue ? describeIssuePath(issue) : '(unknown)';
  const message = issue ? `${key}: ${issue.message}` : 'invalid configuration';
  throw new CairnError('CONFIG_INVALID', `Invalid config key ${message}`, { key, issues: result.error.issues });
}

function describeIssuePath(issue: z.core.$ZodIssue): string {
  const base = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return [base, issue.keys.join(', ')].filter(Boolean).join('.');
  }
  return base || '(root)';
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) throw new CairnError('CONFIG_UNREADABLE', `Config file not found: ${file}`, { file });
    return {};
  }
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CairnError('CONFIG_UNREADABLE', `Cannot read config file ${file}: ${(error as Error).message}`, { file });
  }
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isPlainObject(parsed)) throw new Error('top level must be an object');
    return parsed;
  } catch (error) {
    throw new CairnError('CONFIG_UNREADABLE', `Config file ${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
}

function readEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const [name, [keyPath, kind]] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(layer, keyPath, parseEnvValue(value, kind));
  }
  return layer;
}

/** Text from the environment read as the kind its key expects; zod then reports a bad value by key. */
function parseEnvValue(value: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(value)) return true;
      if (/^(0|false|no|off)$/i.test(value)) return false;
      return value;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    case 'list':
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    case 'nullable':
      return /^(none|null)$/i.test(value) ? null : value;
    default:
      return value;
  }
}

export function setPath(target: Record<string, unknown>, keyPath: string, value: unknown): void {
  const keys = keyPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** The models cache folder, resolved against the data folder when not set. */
export function modelsDir(config: Config): string {
  return config.models.cacheDir ? path.resolve(config.dataDir, config.models.cacheDir) : path.join(config.dataDir, 'models');
}
