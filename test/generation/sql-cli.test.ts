import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRUIT_CSV } from './sql-helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-sql-cli-'));
const data = path.join(dir, 'data');
const ENV = { ...process.env, CAIRN_OFFLINE: '1', CAIRN_GENERATOR: 'none', CAIRN_EMBEDDER: 'none', CAIRN_RERANKER: 'none' };

function cairn(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--data', data], { env: ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  writeFileSync(path.join(dir, 'fruit.csv'), FRUIT_CSV);
  const ingested = await cairn(['ingest', path.join(dir, 'fruit.csv'), '--collection', 'shop']);
  expect(ingested.code).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cairn tables and cairn sql', () => {
  it('lists tables with their columns and types', async () => {
    const out = await cairn(['tables', '--collection', 'shop']);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').slice(0, 4)).toEqual([
      `fruit\t3 rows\t${path.join(dir, 'fruit.csv')}`,
      '  item\ttext\t"Item"',
      '  price\treal\t"Price"',
      '  in_stock\tinteger\t"In stock"',
    ]);
  }, 60_000);

  it('runs a SELECT and prints the result table; refuses a write with its reason', async () => {
    const out = await cairn(['sql', 'SELECT item, price FROM fruit WHERE price < 2 ORDER BY price', '--collection', 'shop']);
    expect([out.code, out.stdout]).toEqual([0, '| item | price |\n|---|---|\n| Bananas | 1.89 |\n| Juicy Apples | 1.99 |\n']);
    const refused = await cairn(['sql', 'DROP TABLE fruit', '--collection', 'shop']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('a schema change (DROP) is not allowed: the SQL may only read');
  }, 60_000);
});
