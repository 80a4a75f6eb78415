import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Config, type ConfigInput, parseConfig } from '../../core/index.ts';
import { writeTinyEmbedder, writeTinyGguf, writeTinyReranker } from '../fixtures/make-models.ts';

export function makeTempDir(prefix = 'cairn-models-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config for tests: offline, one llama thread, data under `dir`. */
export function testConfig(dir: string, models: NonNullable<ConfigInput['models']> = {}): Config {
  return parseConfig({ dataDir: dir, offline: true, models: { threads: 1, ...models } });
}

/** Writes the tiny models once per test file. */
export function writeTinyModels(dir: string): { embedder: string; reranker: string; gguf: string } {
  return {
    embedder: writeTinyEmbedder(path.join(dir, 'tiny-embedder')),
    reranker: writeTinyReranker(path.join(dir, 'tiny-reranker')),
    gguf: writeTinyGguf(path.join(dir, 'tiny-llama.gguf')),
  };
}

export type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A local HTTP server on 127.0.0.1 for fake OpenAI and hub endpoints. */
export async function startServer(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(cosine(a, a));
}
