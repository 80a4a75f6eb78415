/**
 * bench/answer: time per stage of the answer pipeline on a real GGUF model through node-llama-cpp,
 * and the cost of reflection (ISREL + ISSUP + ISUSE) against answer generation.
 *
 *   npm run bench -- answer [--shape 0.5b|tiny] [--model file.gguf] [--runs 3] [--max-tokens 128] [--threads 1] [--timeout-ms n]
 *                           [--suite all|reflection|stream] [--sentence-tokens 16]
 *
 * The stream suite times what a client waits for: the first released sentence and the whole answer,
 * for answer.stream "draft" (draft tokens, then the final answer), "gated" on one sequence (graded
 * after the draft) and "gated" on two sequences (sentence n graded while n+1 is generated). The
 * fixture's random text has no sentence ends, so the suite ends a sentence every --sentence-tokens
 * real tokens (a cited period, the next word capitalised), as a real model's answer would, and reads its random ISSUP verdicts as "full" so the
 * gate opens; generation and grading cost stay the model's own.
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
import { createModelRegistry, type Generator, type JsonSchema } from '../models/index.ts';
import { openStore, sqliteDeps } from '../store/index.ts';
import { ensureWritten, generatedDir, writeLlamaGguf, writeTinyGguf } from '../test/fixtures/make-models.ts';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: '0.5b' },
    model: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'max-tokens': { type: 'string', default: '128' },
    threads: { type: 'string', default: '1' },
    'timeout-ms': { type: 'string', default: '1800000' },
    suite: { type: 'string', default: 'all' },
    'sentence-tokens': { type: 'string', default: '16' },
  },
});
const suite = values.suite as string;
if (!['all', 'reflection', 'stream'].includes(suite)) throw new Error(`--suite must be all, reflection or stream, not ${suite}`);
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

function benchConfig(sequences: number, stream: 'gated' | 'draft' = 'gated') {
  return parseConfig({
    dataDir: path.join(os.tmpdir(), 'cairn-bench-answer'),
    offline: true,
    models: { threads, gpu: 'cpu', sequences, contextSize: 2048 },
    answer: {
      maxTokens,
      temperature: 0,
      threshold: -10,
      rerankWeight: 1,
      relevanceThreshold: 0,
      timeoutMs: Number(values['timeout-ms']),
      stream,
    },
  });
}

async function reflectionSuite(file: string) {
  // Draft mode: the pipeline as before gating, with the draft tokens the ISUSE probe needs.
  const config = benchConfig(1, 'draft');
  const registry = createModelRegistry({ config, logger: silentLogger });
  const loaded = await registry.generator(file);
  if (!loaded.ok) throw new Error(`cannot load ${file}: ${loaded.reason}`);
  const { store, search } = seed();
  const deps = { ...sqliteDeps(store), config, generator: loaded.model, search, logger: silentLogger };
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
        if (e.type === 'token' && e.draft) draft += e.text;
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
  return {
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
    ratios: {
      // What ISREL + ISSUP + ISUSE add to an answer, against generating that answer without them (both read
      // their passages cold). This is the "reflection ≤ 0.5× generation" number.
      reflection_overhead_vs_generation: plainGenerate === 0 ? null : r2(overhead / plainGenerate),
      reflection_overhead_vs_generation_median_run: median(perRun),
      // Stage sums in the reflected run: ISREL reads the passages first, so the prefix cache moves their prefill out of generate.
      reflection_stages_vs_generate_stage: stages.generate ? r2(reflection / stages.generate) : null,
    },
  };
}

/** The ISSUP verdict list's length, when `schema` is the ISSUP schema. */
function supportVerdicts(schema: JsonSchema | undefined): number | null {
  const support = (schema?.properties as Record<string, { minItems?: number }> | undefined)?.support;
  return support ? (support.minItems ?? 1) : null;
}

/**
 * The model's own stream with a sentence end every `every` tokens, and its own grader calls with
 * ISSUP read as "full" (random weights judge at random, and at temperature 0 the same way every
 * time): each call costs what it costs, and the gate opens as it would for a supported answer.
 */
function withSentences(generator: Generator, every: number, parallel: number, onEnd: () => void): Generator {
  return {
    id: generator.id,
    parallel,
    async complete(request, schema) {
      const completion = await generator.complete(request, schema);
      const n = supportVerdicts(schema);
      if (n === null) return completion;
      const json = { support: Array(n).fill('full') };
      return { ...completion, text: JSON.stringify(json), json };
    },
    async *stream(request) {
      let n = 0;
      for await (const token of generator.stream(request)) {
        n++;
        let text = token.text.replace(/[.!?]/g, '');
        // The next word starts upper-case: a period before a lower-case word ends no sentence (Unicode UAX 29).
        if (n % every === 1 && n > 1) text = text.replace(/\p{Ll}/u, (c) => c.toUpperCase());
        yield { ...token, text: n % every === 0 ? `${text.trimEnd()} [1]. ` : text };
      }
      onEnd();
    },
  };
}

interface StreamRun {
  firstTokenMs: number;
  firstReleasedMs: number;
  totalMs: number;
  decision: string;
  releasedEarly: boolean;
}

/**
 * One answer: the first text of any kind a client sees (a draft token counts), the first released
 * text (a gated token, or `final` after draft tokens), and the whole answer.
 */
async function timeAnswer(deps: Parameters<typeof answer>[0], question: string, stream: { ended: boolean }): Promise<StreamRun> {
  const started = performance.now();
  let firstToken: number | null = null;
  let first: number | null = null;
  let releasedEarly = false;
  const result = await answer(deps, { collection: 'bench', question, persist: false }, (e) => {
    if (e.type === 'token' && firstToken === null) firstToken = performance.now() - started;
    const released = (e.type === 'token' && !e.draft) || e.type === 'final';
    if (!released || first !== null) return;
    first = performance.now() - started;
    releasedEarly = !stream.ended;
  });
  if (result.error) throw new Error(`${result.error.code}: ${result.error.message}`);
  const totalMs = r2(performance.now() - started);
  const firstReleasedMs = r2(first ?? totalMs);
  return { firstTokenMs: r2(firstToken ?? firstReleasedMs), firstReleasedMs, totalMs, decision: result.decision, releasedEarly };
}

async function streamSuite(file: string) {
  const registry = createModelRegistry({ config: benchConfig(2), logger: silentLogger });
  const loaded = await registry.generator(file);
  if (!loaded.ok) throw new Error(`cannot load ${file}: ${loaded.reason}`);
  const every = Number(values['sentence-tokens']);
  const { store, search } = seed();
  const variants = [
    { name: 'stream_draft', config: benchConfig(2, 'draft'), parallel: 2 },
    { name: 'stream_gated_one_sequence', config: benchConfig(2, 'gated'), parallel: 1 },
    { name: 'stream_gated_two_sequences', config: benchConfig(2, 'gated'), parallel: 2 },
  ];
  const runsBy = new Map<string, StreamRun[]>(variants.map((v) => [v.name, []]));
  for (let i = 0; i < runs; i++) {
    const question = QUESTIONS[i % QUESTIONS.length] as string;
    for (const v of variants) {
      await loaded.model.complete({ messages: [{ role: 'user', content: 'ok' }], maxTokens: 1, temperature: 0 });
      const stream = { ended: false };
      const generator = withSentences(loaded.model, every, v.parallel, () => {
        stream.ended = true;
      });
      const run = await timeAnswer(
        { ...sqliteDeps(store), config: v.config, generator, search, logger: silentLogger },
        question,
        stream,
      );
      log(`run ${i + 1}/${runs} ${v.name}: ${JSON.stringify(run)}`);
      runsBy.get(v.name)?.push(run);
    }
  }
  store.close();
  await registry.dispose();
  const results = variants.map((v) => {
    const list = runsBy.get(v.name) ?? [];
    return {
      name: v.name,
      firstTextMs: r2(mean(list.map((r) => r.firstTokenMs))),
      firstReleasedSentenceMs: r2(mean(list.map((r) => r.firstReleasedMs))),
      totalMs: r2(mean(list.map((r) => r.totalMs))),
      releasedBeforeGenerationEnded: list.filter((r) => r.releasedEarly).length,
      decisions: list.map((r) => r.decision),
    };
  });
  const [draft, one, two] = results;
  const ratio = (a = 0, b = 0) => (b === 0 ? null : r2(a / b));
  return {
    results,
    ratios: {
      gated_two_sequences_first_sentence_vs_draft_final: ratio(two?.firstReleasedSentenceMs, draft?.firstReleasedSentenceMs),
      gated_two_sequences_first_sentence_vs_own_total: ratio(two?.firstReleasedSentenceMs, two?.totalMs),
      gated_one_sequence_first_sentence_vs_own_total: ratio(one?.firstReleasedSentenceMs, one?.totalMs),
      gated_two_sequences_total_vs_draft_total: ratio(two?.totalMs, draft?.totalMs),
    },
  };
}

async function main() {
  const loadStart = os.loadavg().map(r2);
  const file = modelFile();
  const reflection = suite === 'stream' ? { results: [], ratios: {} } : await reflectionSuite(file);
  const stream = suite === 'reflection' ? { results: [], ratios: {} } : await streamSuite(file);
  const out = {
    bench: 'answer',
    results: [...reflection.results, ...stream.results],
    ratios: { ...reflection.ratios, ...stream.ratios },
    config: {
      model: path.basename(file),
      shape: values.model ? 'custom' : values.shape,
      threads,
      runs,
      maxTokens,
      suite,
      sentenceTokens: Number(values['sentence-tokens']),
      loadavg: { start: loadStart, end: os.loadavg().map(r2) },
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
