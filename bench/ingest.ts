/**
 * Ingestion throughput and memory.
 *
 *   npm run bench -- ingest [--data ../shared/eval/squad/dev-v1.1.json] [--paragraphs 300] [--rounds 4]
 *                           [--model <ref or folder>] [--folder-mb 16] [--skip-embed] [--skip-folder]
 *
 * 1. End-to-end: SQuAD paragraphs written one per .txt file, ingested (load → split → embed →
 *    write) with the MiniLM-shaped ONNX fixture embedder; vs the same embedder embedding the same
 *    chunk texts directly in batches of config.models.embedBatchSize, in the same run (alternating
 *    rounds of both, so load drift on a shared machine hits both alike).
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
import { createModelRegistry, type Embedder } from '../models/index.ts';
import { openStore, sqliteDeps } from '../store/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(ROOT, '../shared/eval/squad/dev-v1.1.json') },
    paragraphs: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '4' },
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

/** The embedder through the model registry (the contract). */
async function loadEmbedder(config: Config, ref: string): Promise<{ embedder: Embedder; via: string }> {
  const found = await createModelRegistry({ config, logger }).embedder(ref);
  if (!found.ok) throw new Error(`embedder ${ref}: ${found.code} ${found.reason}`);
  return { embedder: found.model, via: 'registry' };
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
  const batch = config.models.embedBatchSize;
  await embedder.embed(paragraphs.slice(0, batch), 'passage'); // warm-up
  const store = openStore({ file: path.join(work, 'e2e.db') });
  // Rounds alternate the ingest of a slice and the raw embedding of that slice's stored chunks,
  // so drift in machine load weighs on both sides alike.
  const rounds = Math.max(1, Number(flags.rounds));
  const size = Math.ceil(paragraphs.length / rounds);
  // Counts the ingest's embed calls: it sends what is ready instead of waiting for full batches.
  let ingestCalls = 0;
  const counting: Embedder = Object.assign(Object.create(embedder) as Embedder, {
    embed: (texts: string[], role: 'query' | 'passage') => {
      ingestCalls++;
      return embedder.embed(texts, role);
    },
  });
  const totals = { rawChunks: 0, rawSeconds: 0, chunks: 0, seconds: 0, documents: 0, failed: 0 };
  for (let r = 0; r * size < paragraphs.length; r++) {
    const folder = path.join(work, `squad-${r}`);
    mkdirSync(folder);
    paragraphs.slice(r * size, (r + 1) * size).forEach((p, i) => {
      writeFileSync(path.join(folder, `p${String(r * size + i).padStart(5, '0')}.txt`), p);
    });
    const summary = await ingest(
      { ...sqliteDeps(store), config, logger, embedder: counting },
      { collection: 'squad', sources: [folder] },
    );
    const texts = summary.documents.flatMap((d) => store.chunks.byDocument(d.id).map((c) => c.text));
    const raw = await rawThroughput(embedder, texts, batch);
    Object.assign(totals, {
      rawChunks: totals.rawChunks + raw.count,
      rawSeconds: totals.rawSeconds + raw.seconds,
      chunks: totals.chunks + summary.chunks,
      seconds: totals.seconds + summary.seconds,
      documents: totals.documents + summary.added,
      failed: totals.failed + summary.failed.length,
    });
    log(
      `round ${r + 1}/${rounds}: ingest ${summary.chunks} chunks in ${summary.seconds} s, raw ${raw.count} in ${raw.seconds.toFixed(1)} s`,
    );
  }
  store.close();
  const raw = totals.rawChunks / totals.rawSeconds;
  const ingestRate = totals.chunks / totals.seconds;
  await embedder.dispose?.();
  return {
    results: [
      {
        name: 'raw_embed',
        model: embedder.id,
        chunks: totals.rawChunks,
        seconds: round(totals.rawSeconds, 3),
        batch,
        chunks_per_s: round(raw),
      },
      {
        name: 'ingest_end_to_end',
        documents: totals.documents,
        chunks: totals.chunks,
        seconds: round(totals.seconds, 3),
        chunks_per_s: round(ingestRate),
        embed_calls: ingestCalls,
        mean_batch: round(totals.chunks / Math.max(1, ingestCalls)),
        failed: totals.failed,
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
  return {
    id: `trivial:${dimensions}`,
    dimensions,
    maxTokens: 512,
    maxPassageTokens: 510,
    embed: async (texts) => texts.map(vector),
  };
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
    { ...sqliteDeps(store), config, logger, embedder: trivialEmbedder(384) },
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
