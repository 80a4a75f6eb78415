/**
 * What each layer of the HTTP stack costs a search request in the server's thread, without sockets
 * or a load generator: requests go straight into the request listener as Node's own
 * IncomingMessage/ServerResponse (no socket), one after another, and the thread's CPU time per
 * request is measured.
 *   npm run bench -- server-stack [--data folder] [--requests 6000] [--rounds 6] [--docs n]
 * Three listeners, alternating round by round (least CPU of the rounds reported): `bare` (node:http
 * listener, as bench/server's baseline), `hono` (one plain hono route through the node adapter: the
 * framework alone) and `cairn` (Cairn's whole app: middleware, validation, routing). Each runs
 * twice: with a `fixed` search answer (the stack alone, JSON included) and with the `real` BM25
 * search. Ratios are bare's CPU over the other's: bench/server's in-thread pair without the socket.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { parseConfig, silentLogger } from '../core/index.ts';
import {
  type AppDeps,
  createApp,
  createJobWorker,
  createMetrics,
  createRuntime,
  type SearchCall,
  type SearchOutcome,
} from '../server/index.ts';
import type { Store } from '../store/index.ts';
import { readScifact, writeCorpus } from './scifact-corpus.ts';
import { bareListener } from './server-bare.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/work/shared/eval/beir-scifact' },
    requests: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '6' },
    docs: { type: 'string', default: '0' },
  },
});
const requestsPerRound = Number(values.requests);
const rounds = Math.max(1, Number(values.rounds));
const log = (message: string) => process.stderr.write(`${message}\n`);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
type Search = (call: SearchCall) => Promise<SearchOutcome>;

/** CPU µs the main thread has run (Linux per-thread counters, 10 ms ticks); process CPU elsewhere. */
function threadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  }
}

/** One search request into the listener; resolves with the status once the response has ended. */
function request(listener: Listener, query: string): Promise<number> {
  const body = Buffer.from(JSON.stringify({ query, mode: 'bm25', k: 10 }));
  const req = new IncomingMessage(new Socket());
  Object.assign(req, { method: 'POST', url: '/v1/collections/scifact/search', httpVersion: '1.1' });
  Object.assign(req, { httpVersionMajor: 1, httpVersionMinor: 1 });
  req.rawHeaders = ['Host', '127.0.0.1:8787', 'Content-Type', 'application/json', 'Content-Length', String(body.length)];
  req.headers = { host: '127.0.0.1:8787', 'content-type': 'application/json', 'content-length': String(body.length) };
  const res = new ServerResponse(req);
  return new Promise((resolve) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const out = end(...args);
      resolve(res.statusCode);
      return out;
    }) as typeof res.end;
    listener(req, res);
    req.push(body);
    req.push(null);
  });
}

async function cpuPerRequest(listener: Listener, queries: string[]): Promise<number> {
  const before = threadCpuUs();
  for (let i = 0; i < requestsPerRound; i++) {
    const status = await request(listener, queries[i % queries.length] as string);
    if (status !== 200) throw new Error(`status ${status}`);
  }
  return (threadCpuUs() - before) / requestsPerRound;
}

/** The three listeners over one search function. */
function listeners(deps: AppDeps, search: Search): Record<string, Listener> {
  const hono = new Hono().post('/v1/collections/:collection/search', async (c) => {
    const { query } = (await c.req.json()) as { query: string };
    return c.json(await search({ collection: c.req.param('collection'), query, mode: 'bm25', k: 10 }));
  });
  return {
    bare: bareListener(async (call) => JSON.stringify(await search(call))),
    hono: getRequestListener(hono.fetch) as Listener,
    cairn: getRequestListener(createApp({ ...deps, services: { ...deps.services, search } }).fetch) as Listener,
  };
}

async function measure(sides: Record<string, Listener>, queries: string[]): Promise<Record<string, number>> {
  const names = Object.keys(sides);
  for (const name of names) await cpuPerRequest(sides[name] as Listener, queries); // warm-up
  const runs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      runs[name]?.push(await cpuPerRequest(sides[name] as Listener, queries));
    }
  }
  return Object.fromEntries(names.map((n) => [n, Math.min(...(runs[n] as number[]))]));
}

async function main(): Promise<void> {
  const loadBefore = loadavg().map((x) => round(x, 2));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-stack-'));
  const config = parseConfig({
    dataDir,
    offline: true,
    logLevel: 'silent',
    models: { embedder: null, reranker: null, generator: null },
    server: { port: 0, rateLimitPerMinute: 100_000_000, searchWorkers: 0 },
  });
  const runtime = await createRuntime(config, silentLogger);
  const metrics = createMetrics();
  const jobs = createJobWorker({
    store: runtime.store,
    logger: silentLogger,
    metrics,
    ingest: runtime.services.ingest,
    uploadsDir: runtime.uploadsDir,
  });
  try {
    const { docs, queries } = readScifact(values.data as string, Number(values.docs));
    writeCorpus(runtime.embedded as Store, docs);
    const real: Search = (call) => runtime.services.search(call);
    const fixedAnswer = await real({ collection: 'scifact', query: queries[0] as string, mode: 'bm25', k: 10 });
    const deps: AppDeps = {
      config,
      store: runtime.store,
      logger: silentLogger,
      services: runtime.services,
      jobs,
      metrics,
      openWithoutKeys: true,
    };
    log(`${docs.length} documents; ${rounds} rounds of ${requestsPerRound} requests per listener`);
    const results: Record<string, unknown>[] = [];
    const ratios: Record<string, number> = {};
    for (const [kind, search] of [
      ['fixed', async () => fixedAnswer],
      ['real', real],
    ] as [string, Search][]) {
      log(`search ${kind}: bare, hono, cairn`);
      const cpu = await measure(listeners(deps, search), queries);
      for (const [name, us] of Object.entries(cpu)) results.push({ name: `${name}-${kind}`, cpu_us_per_request: round(us, 1) });
      ratios[`hono_vs_bare_${kind}`] = round((cpu.bare as number) / (cpu.hono as number));
      ratios[`cairn_vs_bare_${kind}`] = round((cpu.bare as number) / (cpu.cairn as number));
      ratios[`cairn_over_bare_us_${kind}`] = round((cpu.cairn as number) - (cpu.bare as number), 1);
    }
    const output = { bench: 'server-stack', cores: availableParallelism(), loadavg_before: loadBefore, results, ratios };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    await jobs.stop();
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
