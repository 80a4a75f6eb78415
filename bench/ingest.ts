/**
 * Ingestion throughput and memory.
 *
 *   npm run bench -- ingest [--data ../shared/eval/squad/dev-v1.1.json] [--paragraphs 300]
 *                           [--model <ref or folder>] [--folder-mb 16] [--skip-embed] [--skip-folder]
 *
 * 1. End-to-end: SQuAD paragraphs written one per .txt file, ingested (load → split → embed →
 *    write) with the MiniLM-shaped ONNX fixture embedder; vs the same embedder embedding the same
 *    chunk texts directly in batches of config.models.embedBatchSize, in the same run.
 * 2. Peak RSS ingesting a generated folder of text (--folder-mb; 1024 for the 1 GB run) with a
 *    trivial 384-dimension fake embedder, so vectors are written but memory, not model speed, is
 *    what is measured.
 * Progress on stderr; one JSON object on stdout.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, createLogger, type Logger, parseConfig } from '../core/index.ts';
import { ingest } from '../indexer/index.ts';
import type { Availability, Embedder } from '../models/index.ts';
import { openStore } from '../store/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(ROOT, '../shared/eval/squad/dev-v1.1.json') },
    paragraphs: { type: 'string', default: '300' },
    model: { type: 'string' },
    'folder-mb': { type: 'string', default: '16' },
    'skip-embed': { type: 'boolean', default: false },
    'skip-folder': { type: 'boolean', default: false },
  },
});
const log = (message: string) => process.stderr.write(`[bench ingest] ${message}\n`);
const logger: Logger = createLogger({ level: 'warn' });

function squadParagraphs(file: string, limit: number): string[] {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { data: { paragraphs: { context: string }[] }[] };
  return json.data.flatMap((a) => a.paragraphs.map((p) => p.context)).slice(0, limit);
}

async function fixtureModelDir(): Promise<string> {
  const { generatedDir, writeMiniLmEmbedder } = await import('../test/fixtures/make-models.ts');
  const dir = generatedDir('minilm-embedder');
  if (!existsSync(path.join(dir, 'onnx', 'model.onnx'))) {
    log(`writing the MiniLM-shaped fixture into ${dir}`);
    writeMiniLmEmbedder(dir);
  }
  return dir;
}

/** The embedder through the model registry (the contract); its direct loader when the registry is not built yet. */
async function loadEmbedder(config: Config, ref: string): Promise<{ embedder: Embedder; via: string }> {
  const models = (await import('../models/index.ts')) as unknown as {
    createModelRegistry?: (o: { config: Config; logger: Logger }) => { embedder(ref: string): Promise<Availability<Embedder>> };
  };
  if (typeof models.createModelRegistry === 'function') {
    const found = await models.createModelRegistry({ config, logger }).embedder(ref);
    if (!found.ok) throw new Error(`embedder ${ref}: ${found.code} ${found.reason}`);
    return { embedder: found.model, via: 'registry' };
  }
  const { loadTransformersEmbedder } = await import('../models/transformers-embedder.ts');
  const embedder = await loadTransformersEmbedder({
    dir: ref,
    cacheDir: path.join(config.dataDir, 'models'),
    id: ref,
    ref,
    dtype: 'fp32',
    device: 'cpu',
    batchSize: config.models.embedBatchSize,
  });
  return { embedder, via: 'transformers-embedder (registry not built yet)' };
}

async function rawThroughput(embedder: Embedder, texts: string[], batch: number): Promise<{ count: number; seconds: number }> {
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batch) await embedder.embed(texts.slice(i, i + batch), 'passage');
  return { count: texts.length, seconds: (performance.now() - started) / 1000 };
}

async function benchEndToEnd(work: string) {
  const config = parseConfig({ dataDir: work, logLevel: 'warn' });
  const ref = flags.model ?? (await fixtureModelDir());
  const { embedder, via } = await loadEmbedder(config, ref);
  log(`embedder ${embedder.id} (${embedder.dimensions} dims) via ${via}`);
  const paragraphs = squadParagraphs(flags.data, Number(flags.paragraphs));
  const folder = path.join(work, 'squad');
  mkdirSync(folder);
  paragraphs.forEach((p, i) => {
    writeFileSync(path.join(folder, `p${String(i).padStart(5, '0')}.txt`), p);
  });
  await embedder.embed(paragraphs.slice(0, config.models.embedBatchSize), 'passage'); // warm-up
  // The raw rate is measured on the same chunk texts, half before and half after the ingest, so
  // drift in machine load during the run weighs on both sides alike.
  const half = Math.floor(paragraphs.length / 2);
  const before = await rawThroughput(embedder, paragraphs.slice(0, half), config.models.embedBatchSize);
  const store = openStore({ file: path.join(work, 'e2e.db') });
  log(`ingesting ${paragraphs.length} paragraphs`);
  const summary = await ingest({ store, config, logger, embedder }, { collection: 'squad', sources: [folder] });
  const texts = (store.db.prepare('SELECT text FROM chunks ORDER BY rowid').all() as { text: string }[]).map((r) => r.text);
  store.close();
  const ingestRate = summary.chunks / summary.seconds;
  log(`ingest: ${summary.chunks} chunks in ${summary.seconds} s; embedding the same chunks directly`);
  const after = await rawThroughput(embedder, texts.slice(half), config.models.embedBatchSize);
  const raw = (before.count + after.count) / (before.seconds + after.seconds);
  await embedder.dispose?.();
  return {
    results: [
      {
        name: 'raw_embed',
        model: embedder.id,
        chunks: texts.length,
        batch: config.models.embedBatchSize,
        chunks_per_s: round(raw),
      },
      {
        name: 'ingest_end_to_end',
        documents: summary.added,
        chunks: summary.chunks,
        seconds: summary.seconds,
        chunks_per_s: round(ingestRate),
        failed: summary.failed.length,
      },
    ],
    ratio: round(ingestRate / raw, 3),
  };
}

/** A fake embedder that costs next to nothing: a vector seeded by the text length and first chars. */
function trivialEmbedder(dimensions: number): Embedder {
  const vector = (text: string) => {
    const v = new Float32Array(dimensions);
    let seed = text.length * 2654435761 + (text.charCodeAt(0) || 1);
    for (let i = 0; i < dimensions; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      v[i] = (seed / 4294967296 - 0.5) / Math.sqrt(dimensions);
    }
    return v;
  };
  return { id: `trivial:${dimensions}`, dimensions, maxTokens: 512, embed: async (texts) => texts.map(vector) };
}

const LINES = [
  'The trail climbs past a cairn of grey stones.',
  'Walkers add a stone for luck as they pass.',
  'Mist lies in the valley until noon.',
];

function writeFolder(folder: string, megabytes: number): number {
  mkdirSync(folder, { recursive: true });
  const fileBytes = 1024 * 1024;
  const files = Math.max(1, Math.round(megabytes));
  for (let f = 0; f < files; f++) {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < fileBytes; i++) {
      const line = `${LINES[i % LINES.length]} Entry ${f}-${i}.${i % 7 === 6 ? '\n\n' : ' '}`;
      parts.push(line);
      size += line.length;
    }
    writeFileSync(path.join(folder, `f${String(f).padStart(5, '0')}.txt`), parts.join(''));
  }
  return files;
}

async function benchFolder(work: string) {
  const megabytes = Number(flags['folder-mb']);
  const folder = path.join(work, 'folder');
  const files = writeFolder(folder, megabytes);
  const config = parseConfig({ dataDir: work, logLevel: 'warn' });
  const store = openStore({ file: path.join(work, 'folder.db') });
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  log(`ingesting a ${megabytes} MB folder (${files} files) with a trivial fake embedder`);
  const summary = await ingest(
    { store, config, logger, embedder: trivialEmbedder(384) },
    {
      collection: 'folder',
      sources: [folder],
      onProgress: (p) => {
        peak = Math.max(peak, process.memoryUsage().rss);
        if (p.documentsDone % 64 === 0) log(`${p.documentsDone}/${p.documentsTotal} files`);
      },
    },
  );
  clearInterval(timer);
  store.close();
  const mb = (bytes: number) => round(bytes / 1024 / 1024);
  return {
    name: 'folder_peak_rss',
    folder_mb: megabytes,
    files,
    chunks: summary.chunks,
    seconds: summary.seconds,
    chunks_per_s: round(summary.chunks / summary.seconds),
    baseline_rss_mb: mb(baseline),
    peak_rss_mb: mb(peak),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-ingest-'));
try {
  const results: Record<string, unknown>[] = [];
  const ratios: Record<string, number> = {};
  if (!flags['skip-embed']) {
    const e2e = await benchEndToEnd(work);
    results.push(...e2e.results);
    ratios.ingest_vs_raw_embed = e2e.ratio;
  }
  if (!flags['skip-folder']) results.push(await benchFolder(work));
  process.stdout.write(`${JSON.stringify({ bench: 'ingest', results, ratios })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
