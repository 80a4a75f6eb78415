import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConfigInput, silentLogger } from '../../core/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';
import { createFakeRuntime, type FakeOptions, testConfig } from '../server/helpers.ts';

export interface SdkServer {
  url: string;
  server: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

/** A real server on an ephemeral port over a real store, with the fake services of the server tests. */
export async function startSdkServer(options: { config?: ConfigInput; fakes?: FakeOptions } = {}): Promise<SdkServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-sdk-'));
  const server = await startServer(testConfig(dataDir, options.config), silentLogger, createFakeRuntime(dataDir, options.fakes));
  return {
    url: server.url,
    server,
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fetch that answers from a list of canned responses (or throws given errors) and records each request. */
export function scriptedFetch(script: (Response | Error | (() => Response | Promise<Response>))[]) {
  const calls: { url: string; method: string; headers: Headers; body: unknown }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: init?.body });
    const next = script.shift();
    if (next === undefined) throw new Error('the script ran out of responses');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export function errorResponse(status: number, code: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { error: { code, message: `${code} happened`, details: {} } }, headers);
}
