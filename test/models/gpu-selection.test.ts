import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/index.ts';
import { createModelRegistry } from '../../models/index.ts';
import { writeTinyGguf } from '../fixtures/make-models.ts';
import { makeTempDir, testConfig } from './helpers.ts';

const temp = makeTempDir();
const gguf = writeTinyGguf(path.join(temp.dir, 'tiny.gguf'));
afterAll(() => temp.cleanup());

/** A CUDA machine shows its driver here; without one the GPU checks skip (and say why in the name). */
const hasNvidiaGpu = existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');

async function loadWith(gpu: 'auto' | 'cuda') {
  const warnings: string[] = [];
  const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
  const registry = createModelRegistry({ config: testConfig(temp.dir, { gpu, contextSize: 512, sequences: 1 }), logger });
  const result = await registry.generator(gguf);
  if (!result.ok) throw new Error(result.reason);
  const selected = (result.model as unknown as { gpu: string | false }).gpu;
  await registry.dispose();
  return { selected, warnings };
}

describe('llama.cpp backend selection', () => {
  it.skipIf(hasNvidiaGpu)('uses the CPU when no GPU is present (gpu: auto)', async () => {
    expect((await loadWith('auto')).selected).toBe(false);
  });

  it.skipIf(hasNvidiaGpu)('falls back to the CPU with a warning when CUDA is asked for but missing', async () => {
    const { selected, warnings } = await loadWith('cuda');
    expect(selected).toBe(false);
    expect(warnings.some((w) => w.startsWith('warn: GPU backend "cuda" is not usable'))).toBe(true);
  });

  it.skipIf(!hasNvidiaGpu)('picks CUDA automatically on a GPU machine (skipped: no NVIDIA GPU here)', async () => {
    expect((await loadWith('auto')).selected).toBe('cuda');
  });
});
