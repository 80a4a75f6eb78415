import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What a model reference names. Forms: `openai:<model>`, `static:<path or hf id>`,
 * `hf:owner/repo:QUANT` (a GGUF file in a Hugging Face repo), a `.gguf` path, a local folder,
 * or a bare Hugging Face id `owner/repo` (ONNX weights for transformers.js).
 */
export type ModelRef =
  | { kind: 'openai'; model: string }
  | { kind: 'static-local'; dir: string }
  | { kind: 'static-hub'; repo: string }
  | { kind: 'gguf-hub'; repo: string; quant: string }
  | { kind: 'gguf-file'; file: string }
  | { kind: 'onnx-local'; dir: string }
  | { kind: 'onnx-hub'; repo: string };

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

export function parseModelRef(ref: string, cwd = process.cwd()): ModelRef | null {
  const trimmed = ref.trim();
  if (trimmed.startsWith('openai:')) {
    const model = trimmed.slice('openai:'.length);
    return model ? { kind: 'openai', model } : null;
  }
  if (trimmed.startsWith('static:')) {
    const target = trimmed.slice('static:'.length);
    if (isLocalPath(target, cwd)) return { kind: 'static-local', dir: path.resolve(cwd, target) };
    return HUB_ID.test(target) ? { kind: 'static-hub', repo: target } : null;
  }
  if (trimmed.startsWith('hf:')) {
    const [repo, quant] = splitQuant(trimmed.slice(3));
    return HUB_ID.test(repo) ? { kind: 'gguf-hub', repo, quant } : null;
  }
  if (trimmed.toLowerCase().endsWith('.gguf')) return { kind: 'gguf-file', file: path.resolve(cwd, trimmed) };
  if (isLocalPath(trimmed, cwd)) return { kind: 'onnx-local', dir: path.resolve(cwd, trimmed) };
  return HUB_ID.test(trimmed) ? { kind: 'onnx-hub', repo: trimmed } : null;
}

function splitQuant(text: string): [string, string] {
  const colon = text.lastIndexOf(':');
  return colon < 0 ? [text, 'Q4_K_M'] : [text.slice(0, colon), text.slice(colon + 1)];
}

/** Absolute, ./-relative or existing folders are local; `owner/repo` that exists on disk is too. */
function isLocalPath(target: string, cwd: string): boolean {
  if (path.isAbsolute(target) || target.startsWith('.') || target.startsWith('~')) return true;
  const resolved = path.resolve(cwd, target);
  return existsSync(resolved) && statSync(resolved).isDirectory();
}

/** The file or folder a ref loads from this machine; null for hub ids and OpenAI model names. */
function localTarget(ref: ModelRef): string | null {
  if (ref.kind === 'static-local' || ref.kind === 'onnx-local') return ref.dir;
  return ref.kind === 'gguf-file' ? ref.file : null;
}

/**
 * Whether a ref stays inside what the operator installed: a hub id or an OpenAI model name, or a
 * file or folder under the models folder. Anything else (an absolute path, `../`) lets whoever sets
 * it make the server open files anywhere, so only a global admin may name it.
 */
export function isConfinedRef(ref: string, modelsFolder: string, cwd = process.cwd()): boolean {
  const parsed = parseModelRef(ref, cwd);
  const target = parsed ? localTarget(parsed) : null;
  if (target === null) return true;
  const relative = path.relative(path.resolve(modelsFolder), target);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

/** Which backend family a ref is for; a role check uses this to refuse e.g. a GGUF as an embedder. */
export function refBackend(ref: ModelRef): 'openai' | 'static' | 'llama' | 'transformers' {
  if (ref.kind === 'openai') return 'openai';
  if (ref.kind === 'static-local' || ref.kind === 'static-hub') return 'static';
  if (ref.kind === 'gguf-hub' || ref.kind === 'gguf-file') return 'llama';
  return 'transformers';
}
