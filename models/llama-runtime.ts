import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { getLlama, type Llama, LlamaLogLevel } from 'node-llama-cpp';
import { CairnError, type Logger } from '../core/index.ts';

export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu';

/**
 * One llama.cpp runtime per process. `auto` lets node-llama-cpp pick CUDA, Vulkan or Metal when
 * its prebuilt binary works on this machine and CPU otherwise; an explicit backend that cannot
 * start falls back to CPU with a warning rather than leaving the user without a generator.
 * `build: 'never'` and `skipDownload` keep it from compiling or fetching anything at run time.
 */
export async function loadLlamaRuntime(gpu: GpuChoice, logger: Logger): Promise<Llama> {
  const base = {
    build: 'never' as const,
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: (level: LlamaLogLevel, message: string) => {
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logger.warn(`llama.cpp: ${message.trim()}`);
      else logger.debug(`llama.cpp: ${message.trim()}`);
    },
  };
  try {
    return await getLlama({ ...base, gpu: gpu === 'cpu' ? false : gpu });
  } catch (error) {
    if (gpu === 'cpu') throw new CairnError('MODEL_LOAD_FAILED', `llama.cpp could not start: ${(error as Error).message}`);
    logger.warn(`GPU backend "${gpu}" is not usable (${(error as Error).message}); using the CPU`);
    return getLlama({ ...base, gpu: false });
  }
}

/** Checks the GGUF magic first so a corrupt or wrong file gets an error naming it, not a native crash. */
export function checkGgufFile(file: string): void {
  if (!existsSync(file)) {
    throw new CairnError('MODEL_MISSING', `GGUF file ${file} does not exist`, { missing: [file] });
  }
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(8);
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('ascii', 0, 4) !== 'GGUF') {
    throw new CairnError('MODEL_CORRUPT', `${file} is not a GGUF file (bad magic bytes)`, { file });
  }
  const version = head.readUInt32LE(4);
  if (version < 2 || version > 3) {
    throw new CairnError('MODEL_CORRUPT', `${file} has unsupported GGUF version ${version}`, { file, version });
  }
}
