/**
 * bench/server's clients, in a worker thread so they have their own event loop: autocannon under
 * load (mode 'load'), or one keep-alive connection sending searches one after another.
 */
import { Worker } from 'node:worker_threads';

// Plain CommonJS for the worker: it needs no TypeScript loader.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { url, path, queries, mode } = workerData;
const body = (i) => JSON.stringify({ query: queries[i % queries.length], mode: 'bm25', k: 10 });
if (mode === 'load') {
  const autocannon = require(workerData.autocannon);
  let i = 0;
  autocannon({
    url, connections: workerData.connections, duration: workerData.duration,
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: body(i++) }) }],
  }, (error, result) => {
    // Inside a worker thread autocannon hands back raw histograms; aggregate them here.
    if (error) return parentPort.postMessage({ error: String(error) });
    const aggregated = autocannon.aggregateResult([result], { url, connections: workerData.connections });
    parentPort.postMessage(JSON.parse(JSON.stringify(aggregated)));
  });
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const one = (i) => new Promise((resolve, reject) => {
    const data = body(i);
    const req = http.request({ host: target.hostname, port: target.port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(data);
  });
  (async () => {
    const latencies = []; let errors = 0;
    const until = performance.now() + workerData.seconds * 1000; const started = performance.now();
    for (let i = 0; performance.now() < until; i++) {
      const t = performance.now();
      const status = await one(i);
      latencies.push(performance.now() - t);
      if (status !== 200) errors++;
    }
    parentPort.postMessage({ latencies, errors, elapsed: (performance.now() - started) / 1000 });
  })();
}`;

export function runWorker<T>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: data });
    worker.once('message', (message: T) => {
      worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}
