import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';

/**
 * bench/scale's step 6: the real `cairn serve` on the run's data folder, from spawn to the first
 * hybrid search answered over HTTP, and the server's peak RSS.
 */
export interface ServerStartupOptions {
  /** The checkout whose bin/cairn.js is started. */
  root: string;
  dataDir: string;
  /** The static embedder's folder, as the bench embedded with it. */
  model: string;
  collection: string;
  query: string;
  log: (line: string) => void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Peak resident set of a process (its threads included), in MB; null where /proc is not there. */
function peakRssMb(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** `cairn serve` on the data folder, from spawn to the first hybrid search answered over HTTP. */
export async function serverStartup(options: ServerStartupOptions): Promise<{ seconds: number; peakRssMb: number | null }> {
  const { root, dataDir, model, collection, query, log } = options;
  const port = await freePort();
  const env = {
    ...process.env,
    CAIRN_DATA_DIR: dataDir,
    CAIRN_OFFLINE: '1',
    CAIRN_EMBEDDER: `static:${model}`,
    CAIRN_RERANKER: 'none',
    CAIRN_GENERATOR: 'none',
    CAIRN_HOST: '127.0.0.1',
    CAIRN_PORT: String(port),
    CAIRN_LOG_LEVEL: 'warn',
  };
  const started = performance.now();
  // The data folder as working directory: no cairn.config.json of the checkout is picked up.
  const child = spawn(process.execPath, [path.join(root, 'bin/cairn.js'), 'serve'], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await firstHybridSearch(`http://127.0.0.1:${port}/v1/collections/${collection}/search`, query, child, () => stderr);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    const peak = child.pid ? peakRssMb(child.pid) : null;
    log(`http server start-up: ${seconds} s, peak RSS ${peak} MB`);
    return { seconds, peakRssMb: peak };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function firstHybridSearch(url: string, query: string, child: ReturnType<typeof spawn>, stderr: () => string) {
  const body = JSON.stringify({ query, mode: 'hybrid', k: 8, rerank: false, contextWindow: 0 });
  const deadline = performance.now() + 600_000;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`cairn serve exited (${child.exitCode}): ${stderr()}`);
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      if (response.ok && (JSON.parse(text) as { passages: unknown[] }).passages.length > 0) return;
      last = `${response.status} ${text.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no hybrid search answered in 600 s: ${last}`);
}
