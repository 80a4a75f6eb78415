import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { openStore } from '../../store/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-cli-'));
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function serve(args: string[]): { proc: ChildProcess; url: Promise<string>; exit: Promise<number>; log: () => string } {
  const proc = spawn(process.execPath, ['bin/cairn.js', 'serve', '--data', dataDir, '--offline', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', CAIRN_LOG_LEVEL: 'info' },
  });
  child = proc;
  let log = '';
  const url = new Promise<string>((resolve, reject) => {
    proc.stderr?.on('data', (data: Buffer) => {
      log += data.toString();
      const match = /Cairn serving on (http:\/\/\S+)/.exec(log);
      if (match?.[1]) resolve(match[1]);
    });
    proc.once('exit', () => reject(new Error(`server exited: ${log}`)));
  });
  url.catch(() => {});
  const exit = new Promise<number>((resolve) => proc.once('exit', (code) => resolve(code ?? -1)));
  return { proc, url, exit, log: () => log };
}

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    return { code: await run(), out };
  } finally {
    spy.mockRestore();
  }
}

describe('cairn serve', () => {
  it('starts from an empty data folder with no models, says so, and stops cleanly on SIGINT', async () => {
    const server = serve(['--port', '0']);
    const url = await server.url;
    const health = (await (await fetch(`${url}/health`)).json()) as {
      components: Record<string, { available: boolean; detail: string }>;
    };
    expect(health.components.embedder?.available).toBe(false);
    expect(health.components.embedder?.detail).toContain('search runs BM25 only');
    expect(health.components.generator?.detail).toContain('answers are extractive');
    for (let i = 0; i < 200 && !server.log().includes('no API keys'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.log()).toContain('no API keys: the server is open');
    expect(server.log()).toContain(
      'warn: embedder: Xenova/bge-small-en-v1.5: not downloaded (run `cairn models pull`) (search runs BM25 only)',
    );
    const upload = await fetch(`${url}/v1/collections/docs/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Stones mark the trail.', source: 'note' }),
    });
    expect(upload.status).toBe(202);
    server.proc.kill('SIGINT');
    expect(await server.exit).toBe(0);
    expect(server.log()).toContain('SIGINT: finishing in-flight requests');
    expect(server.log()).toContain('stopped');
  });

  it('refuses to bind beyond loopback without API keys', async () => {
    const server = serve(['--port', '0', '--host', '0.0.0.0']);
    expect(await server.exit).toBe(1);
    expect(server.log()).toContain('Refusing to serve on 0.0.0.0 without API keys');
  });
});

describe('cairn keys', () => {
  it('creates, lists and revokes keys, storing only hashes', async () => {
    const created = await capture(() =>
      main(['keys', 'create', 'ci', '--scope', 'docs:read,write', '--json', '--data', dataDir], {}),
    );
    expect(created.code).toBe(0);
    const { key, apiKey } = JSON.parse(created.out) as { key: string; apiKey: { id: string; scopes: unknown } };
    expect(key).toMatch(/^cairn_/);
    expect(apiKey.scopes).toEqual({ docs: ['read', 'write'] });
    const store = openStore({ dataDir });
    const raw = store.db.prepare('SELECT key_hash FROM api_keys').all() as { key_hash: string }[];
    expect(raw.map((r) => r.key_hash).includes(key)).toBe(false);
    expect(store.apiKeys.verify(key)?.id).toBe(apiKey.id);
    store.close();
    const listed = await capture(() => main(['keys', 'list', '--data', dataDir], {}));
    expect(listed.out).toContain(`${apiKey.id}\tci\tdocs:read,write\tlast used`);
    const revoked = await capture(() => main(['keys', 'revoke', 'ci', '--data', dataDir], {}));
    expect(revoked.out).toBe(`revoked ${apiKey.id} (ci)\n`);
    const bad = await capture(() => main(['keys', 'create', 'x', '--scope', 'docs:owner', '--data', dataDir], {}));
    expect(bad.code).toBe(2);
  });
});
