import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CairnError, type Config, type Logger } from '../../core/index.ts';
import type { Generator } from '../../models/types.ts';
import type { Store } from '../../store/index.ts';
import { runSql } from './service.ts';
import { writeAndRun } from './write.ts';

type Cell = string | number | null;

export interface SqlEvalQuestion {
  id: string;
  question: string;
  /** The reference SQL; `expected` is its result. */
  sql?: string;
  expected: Cell[][];
}

export interface SqlEvalFile {
  tables: string[];
  questions: SqlEvalQuestion[];
}

export interface SqlEvalReport {
  file: string;
  generator: string;
  questions: number;
  /** Queries that ran (after at most one retry). */
  executed: number;
  retried: number;
  correct: number;
  /** correct / questions: execution accuracy. */
  accuracy: number;
  seconds: number;
  misses: { id: string; question: string; sql: string | null; error: string | null; got: Cell[][] | null }[];
}

export interface SqlEvalDeps {
  /** A store with a database file (the SQL runs on a read-only connection to it). */
  store: Store;
  config: Config;
  logger: Logger;
  generator: Generator;
  /** Puts the eval's table files into `collection` (the CLI ingests them). */
  ingest: (collection: string, files: string[]) => Promise<void>;
}

export function readSqlEval(file: string): SqlEvalFile {
  let parsed: SqlEvalFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as SqlEvalFile;
  } catch (error) {
    throw new CairnError('VALIDATION', `${file} is not a readable SQL eval file: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.tables) || !Array.isArray(parsed.questions)) {
    throw new CairnError('VALIDATION', `${file} needs "tables" (file names) and "questions" ({question, expected})`);
  }
  return parsed;
}

function normal(value: Cell): string {
  if (typeof value === 'number') return String(Math.round(value * 1e6) / 1e6);
  return value === null ? 'null' : value.trim();
}

/** Result rows as a multiset: the `_row` column (provenance) is not part of the answer. */
export function sameRows(columns: string[], rows: Cell[][], expected: Cell[][]): boolean {
  const keep = columns.map((c, i) => (c === '_row' ? -1 : i)).filter((i) => i >= 0);
  const key = (row: Cell[]) => JSON.stringify(row.map(normal));
  const got = rows.map((r) => key(keep.map((i) => r[i] ?? null))).sort();
  const want = expected.map(key).sort();
  return got.length === want.length && got.every((g, i) => g === want[i]);
}

/**
 * Execution accuracy: each question's query written by the generator (in the tables' grammar, one
 * retry after an error), run read-only, and its rows compared with the expected result.
 */
export async function runSqlEval(deps: SqlEvalDeps, file: string): Promise<SqlEvalReport> {
  const started = performance.now();
  const data = readSqlEval(file);
  const collection = 'sql-eval';
  await deps.ingest(
    collection,
    data.tables.map((t) => path.resolve(path.dirname(file), t)),
  );
  const tables = deps.store.tables.list(deps.store.collections.require(collection).id);
  const report: SqlEvalReport = {
    file,
    generator: deps.generator.id,
    questions: data.questions.length,
    executed: 0,
    retried: 0,
    correct: 0,
    accuracy: 0,
    seconds: 0,
    misses: [],
  };
  for (const q of data.questions) {
    const written = await writeAndRun({
      generator: deps.generator,
      timeoutMs: deps.config.answer.timeoutMs,
      question: q.question,
      tables,
      run: (sql) => runSql(deps, collection, sql),
    });
    if (written.ok) {
      report.executed++;
      if (written.retried) report.retried++;
      if (sameRows(written.result.columns, written.result.rows, q.expected)) report.correct++;
      else report.misses.push({ id: q.id, question: q.question, sql: written.result.sql, error: null, got: written.result.rows });
    } else report.misses.push({ id: q.id, question: q.question, sql: written.sql, error: written.error, got: null });
  }
  report.accuracy = report.questions === 0 ? 0 : Math.round((report.correct / report.questions) * 1000) / 1000;
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  return report;
}
