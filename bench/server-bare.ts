/**
 * The baselines bench/server compares Cairn against: bare node:http (no framework, no middleware,
 * no validation) serving the same search. One searches in the server's thread; the other hands
 * each search to N worker threads that run the same search() and JSON.stringify as Cairn's search
 * workers (the same worker entry, least-busy dispatch), so each pair differs only by what Cairn's
 * HTTP stack adds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Config } from '../core/index.ts';
import { silentLogger } from '../core/index.ts';
import { createSearchPool, type SearchCall, type SearchPool } from '../server/index.ts';

export interface BareServer {
  url: string;
  close(): Promise<void>;
}

export type Answer = (call: SearchCall) => Promise<Uint8Array | string>;

/** The bare request listener: read the body, search, write the JSON. */
export function bareListener(answer: Answer) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', async () => {
      const { query } = JSON.parse(Buffer.concat(parts).toString()) as { query: string };
      const body = await answer({ collection: 'scifact', query, mode: 'bm25', k: 10 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

async function listen(answer: Answer, onClose: () => Promise<void> = async () => {}): Promise<BareServer> {
  const server: Server = createServer(bareListener(answer));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await onClose();
    },
  };
}

/** Searches in the server's own thread: the ceiling for Cairn with searchWorkers 0. */
export function startBareServer(search: (call: SearchCall) => Promise<unknown>): Promise<BareServer> {
  return listen(async (call) => JSON.stringify(await search(call)));
}

/** Searches on `workers` threads, JSON made there: the ceiling for Cairn with the same search workers. */
export async function startBareWorkerServer(config: Config, workers: number): Promise<BareServer> {
  const pool: SearchPool = createSearchPool({ config, size: workers, logger: silentLogger });
  const server = await listen(
    (call) => pool.searchJson(call),
    () => pool.close(),
  );
  // Every worker loads its runtime and indexes before anything is timed.
  const call = { collection: 'scifact', query: 'warm up', mode: 'bm25' as const, k: 10 };
  await Promise.all(Array.from({ length: 2 * workers }, () => pool.searchJson(call)));
  return server;
}
