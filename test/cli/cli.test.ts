import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestVersion, loadMigrations } from '../../store/index.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/cairn.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cairn(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { cwd: dir, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cairn command', () => {
  it('prints help with exit 0 and usage errors with exit 2', async () => {
    const help = await cairn(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: cairn <command> [options]');
    const unknown = await cairn(['frobnicate']);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'error: unknown command "frobnicate"; run `cairn --help` for the list\n']);
    const badFlag = await cairn(['collections', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--bogus'");
  });

  it('has --help on every command', async () => {
    const result = await cairn(['serve', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: cairn serve');
  });

  it('manages collections with --json output and --data', async () => {
    const data = path.join(dir, 'data-a');
    expect((await cairn(['collections', 'create', 'notes', '--data', data])).stdout).toBe('created collection notes\n');
    const listed = JSON.parse((await cairn(['collections', 'list', '--data', data, '--json'])).stdout);
    expect(listed.collections.map((c: { name: string; documents: number }) => [c.name, c.documents])).toEqual([['notes', 0]]);
    const missing = await cairn(['collections', 'delete', 'nope', '--data', data, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: 'COLLECTION_NOT_FOUND', message: 'No collection named "nope"' },
    });
  });

  it('gives one clear line and exit 1 for a bad config or a data folder that is a file, creating nothing', async () => {
    const cwd = mkdtempSync(path.join(dir, 'bad-config-'));
    writeFileSync(path.join(cwd, 'cairn.config.json'), JSON.stringify({ server: { port: 'x' } }));
    const bad = await run('node', [BIN, 'collections', 'list'], { cwd }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: Invalid config key server.port: Invalid input: expected number, received string\n');
    expect(existsSync(path.join(cwd, 'data'))).toBe(false);
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const result = await cairn(['collections', 'list', '--data', file]);
    expect([result.code, result.stderr]).toEqual([1, `error: The data folder ${file} is not a folder\n`]);
  });

  it('refuses a port in use with one line and exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const result = await cairn(['serve', '--port', String(port), '--data', path.join(dir, 'data-b')]);
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: Port ${port} on 127.0.0.1 is already in use; pick another with --port\n`);
    expect(existsSync(path.join(dir, 'data-b'))).toBe(false);
  });

  it('serves /health and shuts down cleanly on SIGINT', async () => {
    const data = path.join(dir, 'data-c');
    const child = spawn('node', [BIN, 'serve', '--port', '0', '--data', data], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /serving on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`server exited early: ${stderr}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; schemaVersion: number };
    // /health names the data folder to admin keys only: the folder itself shows which one was used.
    expect([health.status, health.schemaVersion, 'dataDir' in health, existsSync(data)]).toEqual([
      'ok',
      latestVersion(loadMigrations()),
      false,
      true,
    ]);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });
});
