import { afterEach, describe, expect, it } from 'vitest';
import { createPause, ingest } from '../../indexer/index.ts';
import { createHashEmbedder, type Embedder } from '../../models/index.ts';
import { createHarness, type Harness, ingestDeps } from './helpers.ts';

let h: Harness | undefined;
afterEach(() => h?.cleanup());

const PARAGRAPH = 'Cairns are piles of stones that mark trails across moors, ridges and passes where paths fade.';

/** Runs `work` while an interval ticks, and returns the longest wait between ticks (or the start and the first). */
async function longestStall(work: () => Promise<unknown>): Promise<{ gap: number; ticks: number; elapsed: number }> {
  let last = performance.now();
  let gap = 0;
  let ticks = 0;
  const started = last;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  return { gap: Math.max(gap, end - last), ticks, elapsed: end - started };
}

describe('event loop during ingest', () => {
  it('keeps timers firing through a long text-only ingest', async () => {
    h = createHarness({
      embedder: null,
      config: { ingest: { chunking: { splitter: 'auto', size: 200, overlap: 0, unit: 'chars' } } },
    });
    const harness = h;
    const sources = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'text' as const,
      source: `note-${i}`,
      text: Array.from({ length: 8 }, (_, p) => `${i}.${p} ${PARAGRAPH}`).join('\n\n'),
    }));
    let added = 0;
    const { gap, ticks, elapsed } = await longestStall(async () => {
      added = (await ingest(ingestDeps(harness), { collection: 'notes', sources })).added;
    });
    expect(added).toBe(3000);
    // The slice is 10 ms; the bound leaves room for a busy CI machine and GC, and is far below a
    // run that never yields (the whole ingest, several hundred ms).
    expect(elapsed).toBeGreaterThan(300);
    expect(gap).toBeLessThan(100);
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('embedding calls', () => {
  it('hands waiting chunks to the embedder up to four batches at a time, each vector to its chunk', async () => {
    const base = createHashEmbedder(8);
    const sizes: number[] = [];
    const slow: Embedder = {
      ...base,
      async embed(texts, role) {
        sizes.push(texts.length);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return base.embed(texts, role);
      },
    };
    h = createHarness({ embedder: slow, config: { models: { embedBatchSize: 4 } } });
    const sources = Array.from({ length: 60 }, (_, i) => ({ kind: 'text' as const, source: `s${i}`, text: `Short note ${i}.` }));
    expect((await ingest(ingestDeps(h), { collection: 'notes', sources })).chunks).toBe(60);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.max(...sizes)).toBe(16);
    const rows = h.store.db
      .prepare('SELECT c.text AS text, v.vector AS vector FROM chunks c JOIN vectors v ON v.chunk_rowid = c.rowid')
      .all() as { text: string; vector: Buffer }[];
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const [expected] = await base.embed([row.text], 'passage');
      expect(Array.from(new Float32Array(row.vector.buffer, row.vector.byteOffset, 8))).toEqual(
        Array.from(expected as Float32Array),
      );
    }
  });
});

describe('createPause', () => {
  it('costs nothing within the slice and waits for setImmediate after it', async () => {
    const pause = createPause(5);
    expect(pause()).toBeUndefined();
    const until = performance.now() + 6;
    while (performance.now() < until) {
      // busy: the slice runs out
    }
    let immediateRan = false;
    setImmediate(() => {
      immediateRan = true;
    });
    const turn = pause();
    expect(turn).toBeInstanceOf(Promise);
    expect(pause()).toBe(turn);
    await turn;
    expect(immediateRan).toBe(true);
    expect(pause()).toBeUndefined();
  });
});
