import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../store/postgres-helpers.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/cairn.js');

describePostgres('the cairn command on PostgreSQL (CAIRN_DATABASE_URL)', () => {
  let dir: string;
  let url: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-pg-cli-'));
    const database = await createTestDatabase('cairn_cli');
    url = database.url;
    drop = database.drop;
    writeFileSync(path.join(dir, 'zephyr.md'), 'Zephyr is a small project.\n\nIts mascot is a red fox named Pip.\n');
    writeFileSync(path.join(dir, 'fruit.txt'), 'Bananas cost three dollars a bunch.\n');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await drop?.();
  });

  async function cairn(args: string[]) {
    const env = { ...process.env, CAIRN_DATABASE_URL: url, CAIRN_OFFLINE: '1' };
    try {
      const { stdout, stderr } = await run('node', [BIN, ...args, '--data', path.join(dir, 'data')], { cwd: dir, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('ingest, search, ask, collections and keys read and write the database, not a data folder', async () => {
    const ingested = await cairn(['ingest', 'zephyr.md', 'fruit.txt', '--json']);
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ collection: 'default', added: 2, failed: [] });

    const found = await cairn(['search', 'mascot fox', '--json']);
    expect(found.code).toBe(0);
    const result = JSON.parse(found.stdout) as { passages: { text: string; source: string }[]; ran: { bm25: boolean } };
    expect(result.ran.bm25).toBe(true);
    expect(result.passages[0]?.text).toBe('Zephyr is a small project.\n\nIts mascot is a red fox named Pip.');

    const asked = await cairn(['ask', 'What is the mascot of Zephyr?', '--json']);
    expect(asked.code).toBe(0);
    const answer = (JSON.parse(asked.stdout) as { result: { answer: string; mode: string } }).result;
    expect(answer.mode).toBe('extractive');
    expect(answer.answer).toContain('Its mascot is a red fox named Pip.');

    const listed = await cairn(['collections', 'list']);
    expect(listed.stdout).toBe('default\t2 documents\t2 chunks\n');
    const key = await cairn(['keys', 'create', 'ci', '--scope', 'default']);
    expect(key.code).toBe(0);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const counts = await client.query(
        'SELECT (SELECT count(*)::int FROM documents) AS d, (SELECT count(*)::int FROM api_keys) AS k',
      );
      expect(counts.rows[0]).toEqual({ d: 2, k: 1 });
    } finally {
      await client.end();
    }
    expect(existsSync(path.join(dir, 'data', 'cairn.db'))).toBe(false);
  });
});
