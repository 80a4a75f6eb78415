import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { env, LogLevel } from '@huggingface/transformers';
import { CairnError } from '../core/index.ts';

import { type Dtype, ONNX_FILE, transformersFiles } from './files.ts';
import { toWellFormed } from './text.ts';

export type { Dtype };

let chain: Promise<unknown> = Promise.resolve();

/**
 * Runs a transformers.js load against one local folder. transformers.js reads its settings from
 * a global `env`, so loads are serialized and the library never reaches the network: Cairn's own
 * hub code has put the files in place before.
 */
export function withLocalModel<T>(dir: string, cacheDir: string, load: (id: string) => Promise<T>): Promise<T> {
  const run = async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.dirname(dir);
    env.cacheDir = cacheDir;
    env.logLevel = LogLevel.ERROR;
    return load(path.basename(dir));
  };
  const result = chain.then(run, run);
  chain = result.catch(() => undefined);
  return result;
}

/** A failed load becomes MODEL_CORRUPT naming the file when a file is there, else MODEL_MISSING. */
export function describeLoadError(error: unknown, dir: string, dtype: Dtype): CairnError {
  if (error instanceof CairnError) return error;
  const message = (error as Error)?.message ?? String(error);
  const missing = transformersFiles(dtype).filter((f) => !existsSync(path.join(dir, f)) && f !== 'tokenizer_config.json');
  if (missing.length > 0) {
    const files = missing.map((f) => path.join(dir, f));
    return new CairnError('MODEL_MISSING', `Model folder ${dir} lacks ${files.join(', ')}`, { missing: files });
  }
  const file = path.join(dir, ONNX_FILE[dtype]);
  return new CairnError('MODEL_CORRUPT', `Model file ${file} could not be loaded: ${message}`, { file });
}

export function readJsonFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new CairnError('MODEL_CORRUPT', `${file} is not valid JSON`, { file });
  }
}

/** The longest input the model takes: the tokenizer's limit, capped by its position table. */
export function maxLengthOf(dir: string): number {
  const tokenizerConfig = readJsonFile(path.join(dir, 'tokenizer_config.json'));
  const config = readJsonFile(path.join(dir, 'config.json'));
  const limits = [tokenizerConfig.model_max_length, config.max_position_embeddings, 8192].filter(
    (n): n is number => typeof n === 'number' && n > 0 && n < 1e9,
  );
  return Math.min(...limits);
}

/** Cheap pre-clip so a 100k-character input is not tokenized in full just to be truncated. */
export function clipText(text: string, maxTokens: number): string {
  const wellFormed = toWellFormed(text);
  return wellFormed.length > maxTokens * 32 ? wellFormed.slice(0, maxTokens * 32) : wellFormed;
}

/**
 * Loads on the asked device; CUDA that onnxruntime cannot start (no GPU, or a build without the
 * CUDA provider) falls back to the CPU instead of leaving the user without a model.
 */
export async function loadOnDevice<T>(device: 'cpu' | 'cuda', load: (device: 'cpu' | 'cuda') => Promise<T>): Promise<T> {
  if (device === 'cpu') return load('cpu');
  try {
    return await load(device);
  } catch (error) {
    process.emitWarning(`onnxruntime could not use ${device} (${(error as Error).message}); using the CPU`);
    return load('cpu');
  }
}
