import { existsSync } from 'node:fs';
import path from 'node:path';
import { CairnError } from '../core/index.ts';
import { type Dtype, STATIC_FILES, transformersFiles } from './files.ts';
import { ensureGgufFile, ensureRepoFiles, type HubOptions, missingFiles, repoDir } from './hub.ts';
import type { ModelRef } from './refs.ts';

/** Where a model's files are (or would be) on disk, and which of them are missing. */
export interface Location {
  path: string | null;
  missing: string[];
}

/** Looks without downloading: for `cairn models list` and offline checks. */
export function locate(ref: ModelRef, cacheDir: string, dtype: Dtype): Location {
  switch (ref.kind) {
    case 'openai':
      return { path: null, missing: [] };
    case 'gguf-file':
      return { path: ref.file, missing: existsSync(ref.file) ? [] : [ref.file] };
    case 'gguf-hub': {
      const dir = repoDir(cacheDir, ref.repo);
      return { path: dir, missing: [path.join(dir, `*${ref.quant}*.gguf`)] };
    }
    case 'static-local':
      return { path: ref.dir, missing: missingFiles(ref.dir, STATIC_FILES) };
    case 'static-hub': {
      const dir = repoDir(cacheDir, ref.repo);
      return { path: dir, missing: missingFiles(dir, STATIC_FILES) };
    }
    case 'onnx-local':
      return { path: ref.dir, missing: missingFiles(ref.dir, transformersFiles(dtype)) };
    case 'onnx-hub': {
      const dir = repoDir(cacheDir, ref.repo);
      return { path: dir, missing: missingFiles(dir, transformersFiles(dtype)) };
    }
  }
}

/** Makes the model's files present (downloading hub models unless offline) and returns their path. */
export async function materialize(ref: ModelRef, hub: HubOptions, dtype: Dtype): Promise<string> {
  switch (ref.kind) {
    case 'openai':
      throw new CairnError('VALIDATION', 'OpenAI-compatible models have no files');
    case 'gguf-file':
      if (!existsSync(ref.file))
        throw new CairnError('MODEL_MISSING', `GGUF file ${ref.file} does not exist`, { missing: [ref.file] });
      return ref.file;
    case 'gguf-hub':
      return ensureGgufFile(ref.repo, ref.quant, hub);
    case 'static-hub':
      return ensureRepoFiles(ref.repo, STATIC_FILES, hub);
    case 'onnx-hub':
      return ensureRepoFiles(ref.repo, transformersFiles(dtype), hub);
    case 'static-local':
    case 'onnx-local': {
      const { missing } = locate(ref, hub.cacheDir, dtype);
      if (missing.length > 0) {
        throw new CairnError('MODEL_MISSING', `Model folder ${ref.dir} lacks ${missing.join(', ')}`, { missing });
      }
      return ref.dir;
    }
  }
}
