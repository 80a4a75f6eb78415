/**
 * Model wrappers vs the raw libraries, on the realistic-size fixtures of test/fixtures/make-models.ts.
 *
 *   npm run bench -- models [--texts 96] [--batch 32] [--words 48] [--pairs 64] [--tokens 32]
 *                           [--rounds 5] [--threads 1] [--gguf 0.5b|tiny] [--skip-generator]
 *
 * 1. Embedding passages/s: Cairn's Embedder (registry, MiniLM-L6-shaped ONNX) vs transformers.js
 *    `pipeline('feature-extraction')` with mean pooling + normalization, same texts and batch size.
 * 2. Reranker pairs/s (ms-marco-MiniLM-L-6-shaped cross-encoder through the registry).
 * 3. Generation tokens/s and time to first token: Cairn's Generator vs raw node-llama-cpp
 *    (LlamaChat on one reused sequence of the same GGUF, same context size, threads, prompt and
 *    maxTokens; both sides keep their KV cache between rounds), 0.5B llama shape in Q4_0.
 * Each round runs both back to back (alternating which goes first); rates are the best round of
 * each, ratios the median of the per-round ratios (robust on a shared, noisy CPU). Progress on stderr, JSON on stdout.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline } from '@huggingface/transformers';
import { getLlama, LlamaChat } from 'node-llama-cpp';
import { createLogger, parseConfig } from '../core/index.ts';
import { createModelRegistry, type Embedder, type Generator, type Reranker } from '../models/index.ts';
import {
  ensureWritten,
  GENERATED_DIR,
  writeLlamaGguf,
  writeMiniLmEmbedder,
  writeMiniLmReranker,
} from '../test/fixtures/make-models.ts';

const { values: flags } = parseArgs({
  options: {
    texts: { type: 'string', default: '96' },
    batch: { type: 'string', default: '32' },
    words: { type: 'string', default: '48' },
    pairs: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
    gguf: { type: 'string', default: '0.5b' },
    'skip-generator': { type: 'boolean', default: false },
  },
});
const num = (name: keyof typeof flags) => Number(flags[name]);
const log = (message: string) => process.stderr.write(`[bench models] ${message}\n`);
const logger = createLogger({ level: 'warn' });
const root = GENERATED_DIR;
const WORDS =
  'the cat sat on a mat while paris stayed the capital of france and rivers ran to the sea under old stone bridges'.split(' ');

function makeTexts(count: number, words: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: words }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' '),
  );
}

/** Runs baseline and ours back to back, alternating which goes first, so slow spells hit both. */
async function pairRound<B, O>(round: number, baseline: () => Promise<B>, ours: () => Promise<O>): Promise<[B, O]> {
  if (round % 2 === 0) {
    const b = await baseline();
    return [b, await ours()];
  }
  const o = await ours();
  return [await baseline(), o];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function best(rounds: number, run: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let r = 0; r < rounds; r++) top = Math.max(top, await run());
  return top;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function benchEmbedder(embedder: Embedder, dir: string) {
  const texts = makeTexts(num('texts'), num('words'));
  const batch = num('batch');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(dir);
  const raw = await pipeline('feature-extraction', path.basename(dir), { dtype: 'fp32' });
  const runRaw = async () => {
    for (let i = 0; i < texts.length; i += batch) await raw(texts.slice(i, i + batch), { pooling: 'mean', normalize: true });
  };
  const runOurs = () => embedder.embed(texts, 'passage');
  await runRaw();
  await runOurs();
  let ours = 0;
  let base = 0;
  const pairs: number[] = [];
  for (let r = 0; r < num('rounds'); r++) {
    const [b, o] = await pairRound(
      r,
      async () => texts.length / (await timed(runRaw)),
      async () => texts.length / (await timed(runOurs)),
    );
    base = Math.max(base, b);
    ours = Math.max(ours, o);
    pairs.push(o / b);
    log(`embed round ${r + 1}: ours ${o.toFixed(1)} raw ${b.toFixed(1)} passages/s`);
  }
  await raw.dispose();
  return { ours, base, ratio: median(pairs), texts: texts.length };
}

async function benchReranker(reranker: Reranker) {
  const passages = makeTexts(num('pairs'), num('words'));
  await reranker.score('where is the cat', passages.slice(0, 4));
  const pairsPerSecond = await best(
    num('rounds'),
    async () => passages.length / (await timed(() => reranker.score('where is the cat', passages))),
  );
  log(`rerank: ${pairsPerSecond.toFixed(1)} pairs/s`);
  return pairsPerSecond;
}

const prompt = (round: number) => `Story ${round}: write a long story about a cairn of stones on a mountain path.`;

async function oursGenerate(generator: Generator, round: number) {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  const completion = generator.stream({
    messages: [{ role: 'user', content: prompt(round) }],
    maxTokens: num('tokens'),
    temperature: 0,
  });
  for await (const _ of completion) {
    if (first === 0) first = performance.now() - started;
    tokens++;
  }
  return { seconds: (performance.now() - started) / 1000, ttftMs: first, chunks: tokens };
}

async function benchGenerator(generator: Generator, file: string, contextSize: number, threads: number) {
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize, sequences: 1, threads });
  const chat = new LlamaChat({ contextSequence: context.getSequence() });
  const rawGenerate = async (round: number) => {
    const started = performance.now();
    let first = 0;
    let tokens = 0;
    const history = [
      { type: 'user' as const, text: prompt(round) },
      { type: 'model' as const, response: [] },
    ];
    await chat.generateResponse(history, {
      maxTokens: num('tokens'),
      temperature: 0,
      onToken: (t) => {
        if (first === 0) first = performance.now() - started;
        tokens += t.length;
      },
    });
    return { tokensPerSecond: tokens / ((performance.now() - started) / 1000), ttftMs: first, tokens };
  };
  let raw = { tokensPerSecond: 0, ttftMs: Number.POSITIVE_INFINITY, tokens: 0 };
  let ours = { tokensPerSecond: 0, ttftMs: Number.POSITIVE_INFINITY };
  const pairs: number[] = [];
  for (let r = 0; r < num('rounds'); r++) {
    // Chunks can hold more than one token; the count of tokens is the same greedy output as raw.
    const [b, o] = await pairRound(
      r,
      () => rawGenerate(r),
      () => oursGenerate(generator, r),
    );
    const oTokensPerSecond = b.tokens / o.seconds;
    raw = {
      tokensPerSecond: Math.max(raw.tokensPerSecond, b.tokensPerSecond),
      ttftMs: Math.min(raw.ttftMs, b.ttftMs),
      tokens: b.tokens,
    };
    ours = { tokensPerSecond: Math.max(ours.tokensPerSecond, oTokensPerSecond), ttftMs: Math.min(ours.ttftMs, o.ttftMs) };
    pairs.push(oTokensPerSecond / b.tokensPerSecond);
    log(
      `generate round ${r + 1}: ours ${oTokensPerSecond.toFixed(2)} raw ${b.tokensPerSecond.toFixed(2)} tokens/s (${b.tokens} tokens)`,
    );
  }
  chat.dispose();
  await context.dispose();
  await model.dispose();
  return { raw, ours, ratio: median(pairs) };
}

async function main() {
  const embedderDir = ensureWritten(path.join(root, 'minilm-embedder'), writeMiniLmEmbedder);
  const rerankerDir = ensureWritten(path.join(root, 'minilm-reranker'), writeMiniLmReranker);
  const shape = flags.gguf === 'tiny' ? 'tiny' : '0.5b';
  const gguf = flags['skip-generator']
    ? null
    : ensureWritten(path.join(root, `llama-${shape}-${shape === 'tiny' ? 'f32' : 'q4_0'}.gguf`), (f) =>
        writeLlamaGguf(f, { shape }),
      );
  const threads = num('threads');
  const contextSize = 1024;
  const config = parseConfig({
    dataDir: root,
    offline: true,
    models: { threads, contextSize, sequences: 1, gpu: 'cpu', embedBatchSize: num('batch') },
  });
  const registry = createModelRegistry({ config, logger });
  const unwrap = <T>(r: { ok: true; model: T } | { ok: false; reason: string }): T => {
    if (!r.ok) throw new Error(r.reason);
    return r.model;
  };
  const results: Record<string, unknown>[] = [];
  const ratios: Record<string, number> = {};
  log('embedding (MiniLM-L6 shape)');
  const emb = await benchEmbedder(unwrap(await registry.embedder(embedderDir)), embedderDir);
  results.push({ name: 'embed_minilm_ours', passagesPerSecond: emb.ours, texts: emb.texts, batch: num('batch') });
  results.push({ name: 'embed_minilm_raw_pipeline', passagesPerSecond: emb.base, texts: emb.texts, batch: num('batch') });
  ratios.embedder_vs_transformers_pipeline = emb.ratio;
  log('reranking (ms-marco-MiniLM-L-6 shape)');
  results.push({ name: 'rerank_minilm_ours', pairsPerSecond: await benchReranker(unwrap(await registry.reranker(rerankerDir))) });
  if (gguf) {
    log(`generation (${shape} llama GGUF, ${threads} thread(s))`);
    const gen = await benchGenerator(unwrap(await registry.generator(gguf)), gguf, contextSize, threads);
    results.push({
      name: `generate_${shape}_ours`,
      tokensPerSecond: gen.ours.tokensPerSecond,
      ttftMs: gen.ours.ttftMs,
      tokens: gen.raw.tokens,
    });
    results.push({
      name: `generate_${shape}_raw_node_llama_cpp`,
      tokensPerSecond: gen.raw.tokensPerSecond,
      ttftMs: gen.raw.ttftMs,
      tokens: gen.raw.tokens,
    });
    ratios.generator_vs_node_llama_cpp = gen.ratio;
  }
  await registry.dispose();
  results.push({ name: 'process', peakRssMb: process.resourceUsage().maxRSS / 1024 });
  process.stdout.write(`${JSON.stringify({ bench: 'models', results, ratios })}\n`);
}

await main();
