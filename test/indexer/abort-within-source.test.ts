import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ingest } from '../../indexer/index.ts';
import { createHarness, type Harness, ingestDeps, rowCount } from './helpers.ts';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.cleanup());

/**
 * One source that becomes many documents (a JSONL file): an abort (cancel, shutdown, or a lease
 * lost to another instance) stops it at the next document, not at the end of the file. An
 * instance that lost its lease must write nothing more, or it races the one that took the job over.
 */
it('an abort in the middle of a JSONL source writes no document after it', async () => {
  const folder = path.join(h.dir, 'in');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'lines.jsonl');
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => `${JSON.stringify({ text: `Line ${i} about cairns.` })}\n`).join(''));
  const controller = new AbortController();
  const summary = await ingest(ingestDeps(h), {
    collection: 'docs',
    sources: [file],
    signal: controller.signal,
    onProgress: (progress) => {
      if (progress.documentsDone === 5) controller.abort();
    },
  });
  expect([summary.added, summary.chunks, summary.failed]).toEqual([5, 5, []]);
  expect(rowCount(h.store, 'documents')).toBe(5);
  expect(summary.notes).toEqual(['cancelled: documents written before the cancel are kept']);
});
