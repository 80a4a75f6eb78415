import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { writeTinyGguf } from '../fixtures/make-models.ts';
import { makeTempDir } from './helpers.ts';

const temp = makeTempDir();
afterAll(() => temp.cleanup());

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(args, env), out };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe('cairn models', () => {
  it('lists the configured models offline with where they are and whether present', async () => {
    const gguf = writeTinyGguf(path.join(temp.dir, 'tiny.gguf'));
    const { code, out } = await run(['models', 'list', '--json', '--data', temp.dir, '--generator', gguf], {
      CAIRN_OFFLINE: '1',
    });
    expect(code).toBe(0);
    const { models } = JSON.parse(out) as {
      models: { role: string; present: boolean; location: string; sizeBytes: number | null }[];
    };
    expect(models.map((m) => [m.role, m.present])).toEqual([
      ['embedder', false],
      ['reranker', false],
      ['generator', true],
    ]);
    expect(models[0]?.location).toBe(path.join(temp.dir, 'models', 'Xenova', 'bge-small-en-v1.5'));
    expect(models[2]?.sizeBytes).toBeGreaterThan(100_000);
  });

  it('prints a readable list', async () => {
    const { code, out } = await run(['models', 'list', '--data', temp.dir], { CAIRN_OFFLINE: '1' });
    expect(code).toBe(0);
    expect(out).toContain('embedder  Xenova/bge-small-en-v1.5\n    missing (transformers)');
  });

  it('pull fails offline with MODEL_MISSING for each model', async () => {
    const { code, out } = await run(['models', 'pull', '--json', '--data', temp.dir, '--role', 'embedder'], {
      CAIRN_OFFLINE: '1',
    });
    expect(code).toBe(1);
    const { results } = JSON.parse(out) as { results: { code: string }[] };
    expect(results.map((r) => r.code)).toEqual(['MODEL_MISSING']);
  });

  it('rejects an unknown action as usage', async () => {
    const { code } = await run(['models', 'frobnicate', '--data', temp.dir]);
    expect(code).toBe(2);
  });
});
