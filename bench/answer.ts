/**
 * bench/answer: time per stage of the answer pipeline on a real GGUF model through node-llama-cpp,
 * and the cost of reflection (ISREL + ISSUP + ISUSE) against answer generation.
 *
 *   npm run bench -- answer [--shape 0.5b|tiny] [--model file.gguf] [--runs 3] [--max-tokens 128] [--threads 1] [--timeout-ms n]
 *
 * The fixture models have random weights: they never stop early and judge passages at random, so
 * the run keeps every passage (rerankWeight 1, relevanceThreshold 0) to exercise every stage, and
 * answers run to --max-tokens. A real model's answers are shorter; the ratio is reported as measured.
 * Random verdicts often abstain after ISSUP, which skips ISUSE; the bench then times one ISUSE call on
 * the draft right after (same cache state the gate would see) so all three graders are always counted.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig, silentLogger } from '../core/index.ts';
import { type AnswerResult, answer, type SearchFn } from '../generation/index.ts';
import { gradeUsefulness } from '../generation/reflect.ts';
import { createModelRegistry, type Generator } from '../models/index.ts';
import { openStore } from '../store/index.ts';
import { ensureWritten, generatedDir, writeLlamaGguf, writeTinyGguf } from '../test/fixtures/make-models.ts';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: '0.5b' },
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'max-tokens': { type: 'string', default: '128' },
    threads: { type: 'string', default: '1' },
    'timeout-ms': { type: 'string', default: '1800000' },
  },
});
const runs = Number(values.runs);
const maxTokens = Number(values['max-tokens']);
const threads = Number(values.threads);
const log = (m: string) => process.stderr.write(`${m}\n`);

const PARAGRAPHS = [
  'The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was designed by the engineering company of Gustave Eiffel and built from 1887 to 1889.',
  'The tower is 330 metres tall, about the same height as an 81-storey building. It was the tallest man-made structure in the world until 1930.',
  'About seven million people visit the tower every year, which makes it one of the most visited paid monuments in the world.',
];
const QUESTIONS = ['How tall is the Eiffel Tower?', 'Who designed the Eiffel Tower?', 'When was the Eiffel Tower built?'];

function modelFile(): string {
  if (values.model) return values.model;
  const dir = generatedDir('bench');
  if (values.shape === 'tiny') return ensureWritten(path.join(dir, 'tiny-llama.gguf'), writeTinyGguf);
  return ensureWritten(path.join(dir, 'llama-0.5b-q4_0.gguf'), (f) => writeLlamaGguf(f, { shape: '0.5b' }));
}

function seed() {
  const store = openStore({ file: ':memory:' });
  store.collections.create({ name: 'bench' });
  const text = PARAGRAPHS.join('\n\n');
  let offset = 0;
  const chunks = PARAGRAPHS.map((p, ordinal) => {
    const start = offset;
    offset += p.length + 2;
    return {
      id: `c${ordinal}`,
      ordinal,
      text: p,
      start,
      end: start + p.length,
      page: null,
      headings: [],
      tokenCount: 0,
      metadata: {},
    };
  });
  const doc = {
    id: 'd1',
    collectionId: 'bench',
    source: 'tower.md',
    mime: 'text/markdown',
    title: 'Eiffel Tower',
    language: 'en',
    contentHash: 'h',
    text,
    pages: [],
    metadata: {},
    tags: [],
    bytes: text.length,
  };
  const { chunkRowids } = store.documents.write(doc, chunks);
  const passages = chunks.map((c, i) => ({
    chunkId: c.id,
    rowid: chunkRowids[i] as number,
    documentId: 'd1',
    source: 'tower.md',
    title: 'Eiffel Tower',
    page: null,
    headings: [],
    start: c.start,
    end: c.end,
    text: c.text,
    contextStart: c.start,
    contextEnd: c.end,
    scores: { bm25: 1 },
    metadata: {},
  }));
  const search: SearchFn = async () => ({
    passages,
    ran: { bm25: true, dense: false, fusion: null, rerank: false },
    notes: [],
    timings: {},
  });
  return { store, search };
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const r2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? 0
    : sorted.length % 2
      ? (sorted[mid] as number)
      : r2(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
};

/**
 * ISUSE timed on the draft when the pipeline abstained before its gate: the same call, on the same
 * cache state (prompt, answer, ISSUP turn), that the gate would have made. 0 when ISUSE already ran.
 */
async function probeUsefulness(generator: Generator, result: AnswerResult, question: string, draft: string): Promise<number> {
  if (result.timings.isuse !== undefined || result.timings.issup === undefined || draft === '') return 0;
  const kept = result.passages.filter((p) => p.kept).map((p) => ({ marker: p.marker, passage: p.passage }));
  const started = performance.now();
  const usefulness = await gradeUsefulness({ generator, timeoutMs: Number(values['timeout-ms']) }, question, kept, draft);
  const ms = performance.now() - started;
  log(`  isuse probe: ${Math.round(ms)} ms (usefulness ${usefulness})`);
  return ms;
}

async function main() {
  const loadStart = os.loadavg().map(r2);
  const file = modelFile();
  const dataDir = path.join(os.tmpdir(), 'cairn-bench-answer');
  const config = parseConfig({
    dataDir,
    offline: true,
    models: { threads, gpu: 'cpu', sequences: 1, contextSize: 2048 },
    answer: {
      maxTokens,
      temperature: 0,
      threshold: -10,
      rerankWeight: 1,
      relevanceThreshold: 0,
      timeoutMs: Number(values['timeout-ms']),
    },
  });
  const registry = createModelRegistry({ config, logger: silentLogger });
  const loaded = await registry.generator(file);
  if (!loaded.ok) throw new Error(`cannot load ${file}: ${loaded.reason}`);
  const { store, search } = seed();
  const deps = { store, config, generator: loaded.model, search, logger: silentLogger };
  const plain: AnswerResult[] = [];
  const reflected: AnswerResult[] = [];
  const probes: number[] = [];
  // An unrelated prompt empties the sequence's KV cache, so each measured answer reads its passages cold.
  const bust = () => loaded.model.complete({ messages: [{ role: 'user', content: 'ok' }], maxTokens: 1, temperature: 0 });
  for (let i = 0; i < runs; i++) {
    const question = QUESTIONS[i % QUESTIONS.length] as string;
    for (const [reflect, into] of [
      [false, plain],
      [true, reflected],
    ] as const) {
      await bust();
      let draft = '';
      const result = await answer(deps, { collection: 'bench', question, persist: false, reflect }, (e) => {
        if (e.type === 'token') draft += e.text;
      });
      if (result.error) throw new Error(`${result.error.code}: ${result.error.message}`);
      log(`run ${i + 1}/${runs} reflect=${reflect}: ${JSON.stringify(result.timings)}`);
      into.push(result);
      if (reflect) probes.push(await probeUsefulness(deps.generator, result, question, draft.trim()));
    }
  }
  store.close();
  await registry.dispose();
  const stage = (results: AnswerResult[], name: string) => r2(mean(results.map((r) => r.timings[name] ?? 0)));
  const names = ['retrieve', 'isrel', 'generate', 'issup', 'isuse', 'gate', 'total'];
  const stages = Object.fromEntries(names.map((s) => [s, stage(reflected, s)]));
  const isuseProbe = r2(mean(probes));
  const reflection = r2((stages.isrel ?? 0) + (stages.issup ?? 0) + (stages.isuse ?? 0) + isuseProbe);
  const plainGenerate = stage(plain, 'generate');
  const overhead = r2((stages.total ?? 0) + isuseProbe - stage(plain, 'total'));
  // Per run (a plain answer and a reflected one back to back), since load on shared cores swings between runs.
  const perRun = reflected.map((r, i) => {
    const p = plain[i] as AnswerResult;
    const gen = p.timings.generate ?? 0;
    return gen === 0 ? 0 : r2(((r.timings.total ?? 0) + (probes[i] ?? 0) - (p.timings.total ?? 0)) / gen);
  });
  const out = {
    bench: 'answer',
    results: [
      {
        name: 'answer_without_reflection',
        generateMs: plainGenerate,
        totalMs: stage(plain, 'total'),
        meanAnswerChars: Math.round(mean(plain.map((r) => r.answer.length))),
      },
      {
        name: 'answer_with_reflection',
        stagesMs: { ...stages, isuse_probe: isuseProbe },
        reflectionStagesMs: reflection,
        reflectionOverheadMs: overhead,
        decisions: reflected.map((r) => r.decision),
        isuseRanInPipeline: reflected.filter((r) => r.timings.isuse !== undefined).length,
        overheadVsGenerationPerRun: perRun,
        meanSentences: r2(mean(reflected.map((r) => r.sentences.length))),
      },
    ],
    config: {
      model: path.basename(file),
      shape: values.model ? 'custom' : values.shape,
      threads,
      runs,
      maxTokens,
      loadavg: { start: loadStart, end: os.loadavg().map(r2) },
    },
    ratios: {
      // What ISREL + ISSUP + ISUSE add to an answer, against generating that answer without them (both read
      // their passages cold). This is the "reflection ≤ 0.5× generation" number.
      reflection_overhead_vs_generation: plainGenerate === 0 ? null : r2(overhead / plainGenerate),
      reflection_overhead_vs_generation_median_run: median(perRun),
      // Stage sums in the reflected run: ISREL reads the passages first, so the prefix cache moves their prefill out of generate.
      reflection_stages_vs_generate_stage: stages.generate ? r2(reflection / stages.generate) : null,
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
