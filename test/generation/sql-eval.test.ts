import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { readSqlEval, runSql, runSqlEval, type SqlEvalQuestion, sameRows } from '../../generation/sql/index.ts';
import { compileQuery, type TableQuery } from '../../generation/sql/query.ts';
import { ingest } from '../../indexer/index.ts';
import { sqliteDeps } from '../../store/index.ts';
import { createScriptedGenerator, type Step } from './helpers.ts';
import { createTablesHarness, type TablesHarness } from './sql-helpers.ts';

const FILE = fileURLToPath(new URL('../fixtures/tables/sql-eval/questions.json', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));
const evalSet = readSqlEval(FILE);
const questions = evalSet.questions as (SqlEvalQuestion & { query: TableQuery })[];

let h: TablesHarness;
afterEach(() => h?.cleanup());

async function addTables(collection: string, files: string[]): Promise<void> {
  const summary = await ingest(
    { ...sqliteDeps(h.store), config: h.config, logger: silentLogger, embedder: null },
    { collection, sources: files },
  );
  expect(summary.failed).toEqual([]);
}

describe('the SQL evaluation set', () => {
  it('has at least 3 tables and 40 questions, each with an expected result', () => {
    expect(evalSet.tables).toEqual(['products.csv', 'sales.csv', 'employees.csv']);
    expect(evalSet.questions.length).toBe(48);
    for (const q of evalSet.questions) expect(q.expected.length).toBeGreaterThan(0);
  });

  it('every reference query, compiled and run by Cairn, gives the independently computed result', async () => {
    h = createTablesHarness();
    await addTables(
      'eval',
      evalSet.tables.map((t) => path.join(path.dirname(FILE), t)),
    );
    const tables = h.store.tables.list(h.store.collections.require('eval').id);
    const wrong: string[] = [];
    for (const q of questions) {
      const result = await runSql(h, 'eval', compileQuery(q.query, tables));
      if (!sameRows(result.columns, result.rows, q.expected)) wrong.push(q.id);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe('cairn eval sql: execution accuracy', () => {
  it('scores the scripted generator: one wrong answer, one query that fails twice, one retried', async () => {
    h = createTablesHarness();
    const steps: Step[] = questions.flatMap((q, i): Step[] => {
      if (i === 0) return [{ complete: { ...q.query, select: [{ column: 'stock', aggregate: 'none' }] } }];
      if (i === 1) return [{ complete: { ...q.query, table: 'nope' } }, { complete: { ...q.query, table: 'nope' } }];
      if (i === 2)
        return [{ complete: { ...q.query, select: [{ column: 'salary', aggregate: 'none' }] } }, { complete: q.query }];
      return [{ complete: q.query }];
    });
    const gen = createScriptedGenerator(steps);
    const report = await runSqlEval(
      { store: h.store, config: h.config, logger: silentLogger, generator: gen.generator, ingest: addTables },
      FILE,
    );
    expect(gen.remaining()).toBe(0);
    expect({ ...report, seconds: typeof report.seconds, misses: report.misses.map((m) => [m.id, m.error, m.got]) }).toEqual({
      file: FILE,
      generator: 'scripted',
      questions: 48,
      executed: 47,
      retried: 1,
      correct: 46,
      accuracy: 0.958,
      seconds: 'number',
      misses: [
        ['q01', null, [[3, 510]]],
        ['q02', 'no table named nope', null],
      ],
    });
  }, 60_000);

  it('says it needs a generator when none is configured', async () => {
    const out = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const env = { ...process.env, CAIRN_OFFLINE: '1', CAIRN_GENERATOR: 'none', CAIRN_EMBEDDER: 'none', CAIRN_RERANKER: 'none' };
      execFile(process.execPath, [BIN, 'eval', 'sql', FILE], { env, timeout: 60_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("cairn eval sql measures a generator's SQL, and none is available");
  }, 60_000);
});
