import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** One `cairn serve` child process with a data folder of its own, on the shared database. */
export interface Instance {
  name: string;
  proc: ChildProcess;
  url: string;
  /** What the child wrote to stderr so far. */
  log(): string;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
  /** Kills the child if it still runs and removes its folders. */
  dispose(): Promise<void>;
}

export interface InstanceOptions {
  name: string;
  databaseUrl: string;
  /** The `jobs` section of the child's config file (cairn.config.json, passed with --config). */
  jobs: { leaseMs: number; pollMs: number };
  timeoutMs?: number;
}

/** Starts `bin/cairn.js serve --port 0` offline on the database and resolves once it says where it listens. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const home = mkdtempSync(path.join(os.tmpdir(), `cairn-${options.name}-`));
  const config = path.join(home, 'cairn.config.json');
  writeFileSync(config, JSON.stringify({ jobs: options.jobs }));
  // An empty model folder: no embedder is found, so every instance ingests and searches the same way (BM25).
  mkdirSync(path.join(home, 'models'));
  const args = ['bin/cairn.js', 'serve', '--data', path.join(home, 'data'), '--port', '0', '--config', config];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      CAIRN_OFFLINE: '1',
      CAIRN_LOG_LEVEL: 'info',
      CAIRN_DATABASE_URL: options.databaseUrl,
      CAIRN_MODELS_DIR: path.join(home, 'models'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start: ${log}`)), options.timeoutMs ?? 30_000);
    proc.stderr?.on('data', (data: Buffer) => {
      log += data.toString();
      const match = /Cairn serving on (http:\/\/\S+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`${options.name} exited (${code}): ${log}`)));
  });
  const kill = (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return {
    name: options.name,
    proc,
    url,
    log: () => log,
    exited,
    kill,
    async dispose() {
      await kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** An HTTP call answering JSON; any status other than `expect` throws with the body. */
export async function call<T>(url: string, init: RequestInit = {}, expect = 200): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== expect) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Posts a text to ingest; resolves with the job id. */
export async function ingestText(instance: Instance, collection: string, text: string, source: string): Promise<string> {
  const body = JSON.stringify({ text, source });
  const answer = await call<{ jobId: string }>(
    `${instance.url}/v1/collections/${collection}/documents`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body },
    202,
  );
  return answer.jobId;
}

/** Uploads one file (multipart, field "files"); resolves with the job id. */
export async function ingestFile(
  instance: Instance,
  collection: string,
  name: string,
  data: string,
  type = 'text/plain',
): Promise<string> {
  const form = new FormData();
  form.append('files', new Blob([data], { type }), name);
  const answer = await call<{ jobId: string }>(
    `${instance.url}/v1/collections/${collection}/documents`,
    { method: 'POST', body: form },
    202,
  );
  return answer.jobId;
}

export interface JobView {
  id: string;
  status: string;
  attempts: number;
  progress: { documentsDone: number; documentsTotal: number };
  result: { added: number; unchanged: number; updated: number; chunks: number; documents: number; failed: unknown[] } | null;
}

export const getJob = (instance: Instance, id: string) => call<JobView>(`${instance.url}/v1/jobs/${id}`);

/** Follows a job's server-sent events on `instance` until the server ends the stream (after `done`). */
export async function jobEvents(instance: Instance, id: string): Promise<{ event: string; job: JobView }[]> {
  const response = await fetch(`${instance.url}/v1/jobs/${id}/events`);
  if (response.status !== 200) throw new Error(`events of ${id}: ${response.status} ${await response.text()}`);
  const events: { event: string; job: JobView }[] = [];
  for (const block of (await response.text()).split('\n\n')) {
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, job: JSON.parse(data) as JobView });
  }
  return events;
}

export interface Passage {
  text: string;
  source: string;
  documentId: string;
}

/** BM25 search (no embedder here): the passages found. */
export async function search(instance: Instance, collection: string, query: string, k = 1): Promise<Passage[]> {
  const body = JSON.stringify({ query, mode: 'bm25', k });
  const answer = await call<{ passages: Passage[] }>(`${instance.url}/v1/collections/${collection}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return answer.passages;
}

/** Calls `check` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of the results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * A letters-only word unique to `n` (digits and hyphens would be split by the tokenizer) of a fixed
 * length ending in "x", so stemming cannot fold two of them together: a BM25 search for it finds
 * exactly one document.
 */
export function wordFor(prefix: string, n: number): string {
  let word = '';
  let rest = n;
  for (let i = 0; i < 3; i++) {
    word = String.fromCharCode(97 + (rest % 26)) + word;
    rest = Math.floor(rest / 26);
  }
  return `${prefix}${word}x`;
}
