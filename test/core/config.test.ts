import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CairnError, loadConfig, modelsDir } from '../../core/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(value: unknown): void {
  writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify(value));
}

function errorOf(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('has defaults a new user can run with', () => {
    const config = loadConfig({ cwd: dir });
    expect(config.dataDir).toBe(path.join(dir, 'data'));
    expect(config.server.port).toBe(8787);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.offline).toBe(false);
    expect(config.ingest.chunking).toEqual({ splitter: 'auto', size: 512, overlap: 64, unit: 'tokens' });
    expect(modelsDir(config)).toBe(path.join(dir, 'data', 'models'));
  });

  it('layers defaults ← file ← environment ← flags', () => {
    writeConfig({ server: { port: 9000, host: '0.0.0.0' }, dataDir: 'from-file', logLevel: 'warn' });
    const env = { CAIRN_PORT: '9100', CAIRN_DATA_DIR: 'from-env', CAIRN_OFFLINE: '1' };
    const fileOnly = loadConfig({ cwd: dir });
    expect([fileOnly.server.port, fileOnly.server.host, fileOnly.dataDir]).toEqual([
      9000,
      '0.0.0.0',
      path.join(dir, 'from-file'),
    ]);
    const withEnv = loadConfig({ cwd: dir, env });
    expect([withEnv.server.port, withEnv.dataDir, withEnv.offline, withEnv.logLevel]).toEqual([
      9100,
      path.join(dir, 'from-env'),
      true,
      'warn',
    ]);
    const withFlags = loadConfig({ cwd: dir, env, flags: { server: { port: 9200 }, dataDir: '/abs/data' } });
    expect([withFlags.server.port, withFlags.server.host, withFlags.dataDir]).toEqual([9200, '0.0.0.0', '/abs/data']);
  });

  it('reads nullable model settings from the environment', () => {
    const config = loadConfig({ cwd: dir, env: { CAIRN_GENERATOR: 'none', CAIRN_THREADS: '1' } });
    expect(config.models.generator).toBeNull();
    expect(config.models.threads).toBe(1);
  });

  it('names an unknown key', () => {
    writeConfig({ server: { prot: 1 } });
    const error = errorOf(() => loadConfig({ cwd: dir }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('Invalid config key server.prot: Unrecognized key: "prot"');
  });

  it('names a key with the wrong type, from a file or the environment', () => {
    writeConfig({ server: { port: 'eighty' } });
    expect(errorOf(() => loadConfig({ cwd: dir })).message).toBe(
      'Invalid config key server.port: Invalid input: expected number, received string',
    );
    expect(errorOf(() => loadConfig({ cwd: path.join(dir, 'none'), env: { CAIRN_PORT: 'abc' } })).message).toBe(
      'Invalid config key server.port: Invalid input: expected number, received string',
    );
  });

  it('rejects chunk overlap that reaches the size', () => {
    writeConfig({ ingest: { chunking: { size: 100, overlap: 100 } } });
    expect(errorOf(() => loadConfig({ cwd: dir })).message).toBe(
      'Invalid config key ingest.chunking.overlap: overlap must be smaller than size',
    );
  });

  it('reports a config file that is not JSON, or missing when named', () => {
    writeFileSync(path.join(dir, 'cairn.config.json'), '{ nope');
    const error = errorOf(() => loadConfig({ cwd: dir }));
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toMatch(/^Config file .*cairn\.config\.json is not valid JSON/);
    expect(errorOf(() => loadConfig({ cwd: dir, file: 'missing.json' })).message).toBe(
      `Config file not found: ${path.join(dir, 'missing.json')}`,
    );
  });
});
