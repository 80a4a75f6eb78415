import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CairnError } from '../core/index.ts';
import type { DownloadProgress } from './progress.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  cacheDir: string;
  offline: boolean;
  hubUrl: string;
  timeoutMs: number;
  onProgress?: ((e: DownloadProgress) => void) | undefined;
}

/** Where a Hugging Face repo lives in the cache; the same layout transformers.js reads locally. */
export function repoDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, ...repo.split('/'));
}

export function missingFiles(dir: string, files: readonly string[]): string[] {
  return files.filter((f) => !existsSync(path.join(dir, f))).map((f) => path.join(dir, f));
}

/** Makes sure every file is in the cache, downloading what is missing unless offline. */
export async function ensureRepoFiles(repo: string, files: readonly string[], options: HubOptions): Promise<string> {
  const dir = repoDir(options.cacheDir, repo);
  const missing = missingFiles(dir, files);
  if (missing.length === 0) return dir;
  if (options.offline) {
    throw new CairnError(
      'MODEL_MISSING',
      `Model ${repo} is not in the cache and offline mode is on; missing: ${missing.join(', ')}`,
      {
        model: repo,
        missing,
      },
    );
  }
  for (const file of files) {
    if (existsSync(path.join(dir, file))) continue;
    await downloadFile(repo, file, path.join(dir, file), options);
  }
  return dir;
}

/** A GGUF in a hub repo chosen by quantization name: from the cache, else from the repo listing. */
export async function ensureGgufFile(repo: string, quant: string, options: HubOptions): Promise<string> {
  const dir = repoDir(options.cacheDir, repo);
  const cached = findGguf(existsSync(dir) ? readdirSync(dir) : [], quant);
  if (cached) return path.join(dir, cached);
  if (options.offline) {
    throw new CairnError(
      'MODEL_MISSING',
      `Model hf:${repo}:${quant} is not in the cache and offline mode is on; looked for *${quant}*.gguf in ${dir}`,
      {
        model: `hf:${repo}:${quant}`,
        missing: [path.join(dir, `*${quant}*.gguf`)],
      },
    );
  }
  const listing = await fetchJson(`${options.hubUrl}/api/models/${repo}`, options.timeoutMs, repo);
  const names = ((listing as { siblings?: { rfilename?: string }[] }).siblings ?? []).map((s) => s.rfilename ?? '');
  const chosen = findGguf(names, quant);
  if (!chosen)
    throw new CairnError('MODEL_MISSING', `Repo ${repo} has no GGUF file for quantization ${quant}`, { model: repo, quant });
  await downloadFile(repo, chosen, path.join(dir, chosen), options);
  return path.join(dir, chosen);
}

function findGguf(names: string[], quant: string): string | undefined {
  const q = quant.toLowerCase();
  const matches = names.filter((n) => n.toLowerCase().endsWith('.gguf') && n.toLowerCase().includes(q));
  // Split GGUFs (-00001-of-00003) need every part; prefer a single file.
  return matches.find((n) => !/-\d{5}-of-\d{5}/.test(n)) ?? matches[0];
}

async function fetchJson(url: string, timeoutMs: number, model: string): Promise<unknown> {
  const response = await fetchOrFail(url, timeoutMs, model);
  try {
    return await response.json();
  } catch (error) {
    throw new CairnError('MODEL_MISSING', `Model ${model}: ${url} did not return JSON: ${(error as Error).message}`, {
      model,
      url,
    });
  }
}

async function fetchOrFail(url: string, timeoutMs: number, model: string, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ?? AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CairnError('MODEL_MISSING', `Model ${model} could not be downloaded from ${url}: ${cause}`, { model, url });
  }
  if (!response.ok) {
    throw new CairnError('MODEL_MISSING', `Model ${model} could not be downloaded from ${url}: HTTP ${response.status}`, {
      model,
      url,
      status: response.status,
    });
  }
  return response;
}

/** Streams one file into place through a .part file; an idle body for timeoutMs aborts it. */
export async function downloadFile(repo: string, file: string, target: string, options: HubOptions): Promise<void> {
  const url = `${options.hubUrl}/${repo}/resolve/main/${file}`;
  const controller = new AbortController();
  let idle = setTimeout(() => controller.abort(), options.timeoutMs);
  const response = await fetchOrFail(url, options.timeoutMs, repo, controller.signal).finally(() => clearTimeout(idle));
  const total = Number(response.headers.get('content-length')) || null;
  mkdirSync(path.dirname(target), { recursive: true });
  const part = `${target}.part`;
  const out = createWriteStream(part);
  let loaded = 0;
  try {
    idle = setTimeout(() => controller.abort(), options.timeoutMs);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), options.timeoutMs);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      loaded += chunk.length;
      options.onProgress?.({ model: repo, file, loaded, total, done: false });
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  } catch (error) {
    out.destroy();
    rmSync(part, { force: true });
    throw new CairnError('MODEL_MISSING', `Download of ${url} failed: ${(error as Error).message}`, { model: repo, url });
  } finally {
    clearTimeout(idle);
  }
  renameSync(part, target);
  options.onProgress?.({ model: repo, file, loaded, total, done: true });
}

/** Total size of a file or a folder's files, or null when it is not there. */
export function sizeOnDisk(target: string): number | null {
  if (!existsSync(target)) return null;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const entry of readdirSync(target, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}
