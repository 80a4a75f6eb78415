import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/index.ts';
import { createAnnManager } from '../../../indexer/ann/index.ts';
import { openStore } from '../../../store/index.ts';
import { tempDir } from './helpers.ts';
import { indexConfig, vectorFor, vectorRowids } from './store-fixture.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const child = path.join(import.meta.dirname, 'crash-child.ts');

/** Runs the child until it has written `docs` more documents, then SIGKILLs it; returns the last doc number it reported. */
function runAndKill(kind: string, startAt: number, docs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', child, tmp.dir, kind, String(startAt)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = startAt;
    let stderr = '';
    proc.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    proc.stdout?.on('data', (chunk) => {
      const numbers = String(chunk).trim().split('\n').map(Number);
      last = Math.max(last, ...numbers);
      if (last >= startAt + docs) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/** Checks the restarted manager against the database; returns whether it had to rebuild. */
async function verify(kind: string): Promise<boolean> {
  const store = openStore({ dataDir: tmp.dir });
  let rebuilt = false;
  const logger = createLogger({ level: 'debug', write: (line) => (rebuilt ||= line.includes('rebuilt')) });
  const ann = createAnnManager({ store, dataDir: tmp.dir, config: indexConfig({ kind, autoFlatBelow: 50 }), logger });
  try {
    const index = await ann.get('crash', 'crash/model');
    const expected = vectorRowids(store, 'crash', 'crash/model');
    expect(index?.labels().sort((a, b) => a - b)).toEqual(expected);
    const live = new Set(expected);
    for (let i = 0; i < 400; i += 7) {
      for (const hit of index!.search(vectorFor(i, 0, 12), 10)) expect(live.has(hit.label)).toBe(true);
    }
    return rebuilt;
  } finally {
    await ann.close();
    store.close();
  }
}

describe('crash safety', () => {
  it('after SIGKILL at several points the index and the database agree exactly', async () => {
    let next = 0;
    let fromFile = 0;
    for (const [kind, docs] of [
      ['hnsw', 40],
      ['hnsw', 61],
      ['flat', 17],
      ['ivf', 35],
    ] as const) {
      next = (await runAndKill(kind, next, docs)) + 1;
      if (!(await verify(kind))) fromFile++;
    }
    // The same-kind restarts load the saved file and catch up rather than rebuild.
    expect(fromFile).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
