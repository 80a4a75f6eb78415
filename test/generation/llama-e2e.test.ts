import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, silentLogger } from '../../core/index.ts';
import { type AnswerEvent, answer } from '../../generation/index.ts';
import { createModelRegistry, type Generator, type ModelRegistry } from '../../models/index.ts';
import { sqliteDeps } from '../../store/index.ts';
import { writeTinyGguf } from '../fixtures/make-models.ts';
import { createFakeSearch, seedStore } from './helpers.ts';

/**
 * The whole pipeline on a real (tiny, random-weight) GGUF model through node-llama-cpp: every
 * grader call goes through a llama.cpp JSON-schema grammar, so its output must parse and fit.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-gen-e2e-'));
let registry: ModelRegistry;
let generator: Generator | null = null;
let reason = '';

const config = parseConfig({
  dataDir: dir,
  offline: true,
  models: { threads: 1, gpu: 'cpu', sequences: 1, contextSize: 2048 },
  answer: { maxTokens: 24, temperature: 0, threshold: -10 },
});

beforeAll(async () => {
  const file = writeTinyGguf(path.join(dir, 'tiny-llama.gguf'));
  registry = createModelRegistry({ config, logger: silentLogger });
  const found = await registry.generator(file);
  if (found.ok) generator = found.model;
  else reason = `${found.code}: ${found.reason}`;
}, 120_000);

afterAll(async () => {
  await registry?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('answer on the tiny GGUF model (llama.cpp grammars, 1 thread)', () => {
  it('runs retrieve → ISREL → generate → ISSUP → ISUSE → gate with schema-valid verdicts', async () => {
    expect(reason).toBe('');
    const seeded = seedStore('geo', [
      { source: 'france.md', paragraphs: ['Paris is the capital of France.', 'The Seine flows through Paris.'] },
    ]);
    const found = [seeded.passage('france.md', 0), seeded.passage('france.md', 1)];
    const { search } = createFakeSearch({}, found);
    const events: AnswerEvent[] = [];
    const deps = { ...sqliteDeps(seeded.store), config, generator: generator as Generator, search, logger: silentLogger };
    // Random weights: the verdicts are arbitrary, so the test checks that each stage ran through its grammar and
    // returned schema-valid output, and that the branch taken matches the verdicts.
    const result = await answer(deps, { collection: 'geo', question: 'What is the capital of France?', persist: false }, (e) =>
      events.push(e),
    );
    seeded.store.close();
    expect(result.error).toBeNull();
    expect(result.complete).toBe(true);
    expect(result.models.grade).toBe(generator?.id);
    const graded = result.passages.filter((p) => p.relevant !== null);
    expect(graded.length).toBeGreaterThanOrEqual(2);
    for (const p of graded) expect(typeof p.relevant).toBe('boolean');
    const stages = events.flatMap((e) => (e.type === 'reflection' ? [e.stage] : []));
    expect(stages[0]).toBe('isrel');
    if (result.passages.some((p) => p.kept)) {
      expect(stages).toContain('issup');
      for (const s of result.sentences) expect(['full', 'partial', 'none']).toContain(s.support);
      if (result.abstainReason !== 'unsupported') {
        expect(result.isuse).toBeGreaterThanOrEqual(1);
        expect(result.isuse).toBeLessThanOrEqual(5);
      }
      expect(result.timings.generate).toBeGreaterThan(0);
    } else {
      expect(result.retrieval.rewritten).toBe(true);
      expect(result.abstainReason).toBe('no_relevant_passages');
    }
    expect(events.at(-1)?.type).toBe('done');
  }, 120_000);

  it('grades support and usefulness through grammars when reflection covers a kept passage', async () => {
    const seeded = seedStore('geo', [{ source: 'france.md', paragraphs: ['Paris is the capital of France.'] }]);
    const { search } = createFakeSearch({}, [seeded.passage('france.md', 0)]);
    // Keep every passage whatever ISREL says (rerankWeight 1, threshold 0), so generation, ISSUP and ISUSE run.
    const keepAll = parseConfig({ ...config, answer: { ...config.answer, rerankWeight: 1, relevanceThreshold: 0 } });
    const deps = {
      ...sqliteDeps(seeded.store),
      config: keepAll,
      generator: generator as Generator,
      search,
      logger: silentLogger,
    };
    const result = await answer(deps, { collection: 'geo', question: 'What is the capital of France?', persist: false });
    seeded.store.close();
    expect(result.error).toBeNull();
    expect(result.passages[0]?.kept).toBe(true);
    expect(result.timings.generate).toBeGreaterThan(0);
    expect(result.sentences.length).toBeGreaterThan(0);
    expect(result.timings.issup).toBeGreaterThan(0);
    for (const s of result.sentences) expect(['full', 'partial', 'none']).toContain(s.support);
    if (result.abstainReason === 'unsupported') {
      expect(result.isuse).toBeNull();
    } else {
      expect([1, 2, 3, 4, 5]).toContain(result.isuse);
      expect(result.score?.total).toBeTypeOf('number');
      expect(result.timings.isuse).toBeGreaterThan(0);
    }
  }, 120_000);
});
