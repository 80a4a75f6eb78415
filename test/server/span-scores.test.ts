import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, silentLogger } from '../../core/index.ts';
import { createRuntime, createSearchPool, type Runtime, type SearchPool, startServer } from '../../server/index.ts';
import { writeTinyReranker } from '../fixtures/make-models.ts';
import { testConfig } from './helpers.ts';

const QUERY = 'Granite is made of quartz.';
const TEXTS = ['Granite is a coarse igneous rock.', 'It holds quartz, feldspar and mica.', 'Basalt is volcanic.'];

/** Citation spans of server answers are ranked by the reranker in the search workers, where it lives. */
describe('span scores from the search workers (tiny ONNX cross-encoder)', () => {
  let dataDir: string;
  let config: Config;
  let runtime: Runtime;
  let pool: SearchPool;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-span-scores-'));
    const reranker = writeTinyReranker(path.join(dataDir, 'tiny-reranker'));
    config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker, generator: null } });
    runtime = await createRuntime(config, silentLogger);
    runtime.embedded!.collections.create({ name: 'rocks' });
    pool = createSearchPool({ config, size: 1, logger: silentLogger });
  });

  afterAll(async () => {
    await pool.close();
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a worker scores texts against a query exactly as the collection reranker does in-thread', async () => {
    const [remote, local] = await Promise.all([
      pool.score('rocks', QUERY, TEXTS),
      runtime.scoreSpans?.('rocks', QUERY, TEXTS) ?? [],
    ]);
    expect(remote).toHaveLength(3);
    expect(remote).toEqual(local);
    expect(remote.every((s) => s > 0 && s < 1)).toBe(true);
  });
});

describe('span scores without a reranker', () => {
  it('are empty, so spans fall back to word overlap', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-span-none-'));
    const runtime = await createRuntime(
      testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } }),
      silentLogger,
    );
    try {
      runtime.embedded!.collections.create({ name: 'rocks' });
      expect(await runtime.scoreSpans?.('rocks', QUERY, TEXTS)).toEqual([]);
    } finally {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a server with a search worker', () => {
  it('sends the ranking of answer citation spans to the worker, and stops on close', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-span-serve-'));
    const reranker = writeTinyReranker(path.join(dataDir, 'tiny-reranker'));
    const config = testConfig(dataDir, {
      offline: true,
      models: { embedder: null, reranker, generator: null },
      server: { searchWorkers: 1 },
    });
    const runtime = await createRuntime(config, silentLogger);
    runtime.embedded!.collections.create({ name: 'rocks' });
    const remotes: (((c: string, q: string, t: string[]) => Promise<number[]> | null) | null)[] = [];
    const own = runtime.scoreSpansWith?.bind(runtime);
    runtime.scoreSpansWith = (remote) => {
      remotes.push(remote);
      own?.(remote);
    };
    const server = await startServer(config, silentLogger, runtime);
    try {
      const remote = remotes[0];
      const scores = await remote?.('rocks', QUERY, TEXTS);
      expect(scores).toHaveLength(3);
      expect(scores).toEqual(await runtime.scoreSpans?.('rocks', QUERY, TEXTS));
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(remotes.length === 2 && remotes[1]).toBe(null);
  });
});
