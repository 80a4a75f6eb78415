import { type Passage, sha256 } from '../../core/index.ts';
import type { DataTable, Store } from '../../store/index.ts';
import { gradeJson } from '../grader.ts';
import { type Run, reflection, timed } from '../run.ts';
import { callSignal } from '../signals.ts';
import type { AnswerResult, GradedPassage } from '../types.ts';
import { resultTable } from './format.ts';
import { lookupCell } from './lookup.ts';
import { routePrompt } from './prompts.ts';
import { runSql, type SqlResult } from './service.ts';
import { writeAndRun } from './write.ts';

export type TableRoute = TableAnswer['route'];

/** What an answer computed over tables: shown with the answer, and how its rows lead to source rows. */
export type TableAnswer = NonNullable<AnswerResult['table']>;

/** The collection's data tables: only the embedded store keeps them. */
function tablesOf(run: Run): DataTable[] {
  return run.deps.embedded?.tables.list(run.collection.id) ?? [];
}

async function route(run: Run, tables: DataTable[]): Promise<TableRoute> {
  const call = run.call as NonNullable<Run['call']>;
  const choice = await timed(run, 'retrieve_decision', () =>
    gradeJson(call.generator, {
      stage: 'route',
      messages: routePrompt(run.result.standaloneQuestion, tables),
      schema: {
        type: 'object',
        properties: { route: { enum: ['sql', 'passages', 'both'] } },
        required: ['route'],
        additionalProperties: false,
      },
      validate: (v) => {
        const r = (v as { route?: unknown } | null)?.route;
        return r === 'sql' || r === 'passages' || r === 'both' ? r : null;
      },
      maxTokens: 24,
      signal: callSignal(run.request.signal, run.config.timeoutMs),
    }),
  );
  reflection(run, 'retrieve_decision', { route: choice });
  return choice;
}

/** The row passage behind each result row that kept its `_row`. */
function sourceRows(run: Run, result: SqlResult): TableAnswer['sourceRows'] {
  const at = result.columns.indexOf('_row');
  const table = result.tables.length === 1 ? tablesOf(run).find((t) => t.name === result.tables[0]?.name) : undefined;
  const embedded = run.deps.embedded;
  if (at < 0 || !table || !embedded) return [];
  const find = embedded.db.prepare<[string, number, number], { id: string }>(
    "SELECT id FROM chunks WHERE document_id = ? AND json_extract(metadata, '$.table.index') = ? AND json_extract(metadata, '$.table.row') = ?",
  );
  return result.rows.map((r) => {
    const row = Number(r[at]);
    return { table: table.name, row, chunkId: find.get(table.documentId, table.ordinal, row)?.id ?? null };
  });
}

/** The result as a passage the answer cites and the gate grades sentences against. */
function resultPassage(result: SqlResult, marker: number): GradedPassage {
  const text = `Result of the SQL query ${result.sql}\n${resultTable(result.columns, result.rows)}${result.truncated ? '\n(cut at the row limit)' : ''}`;
  const id = `sql:${sha256(text).slice(0, 16)}`;
  const passage: Passage = {
    chunkId: id,
    rowid: -1,
    documentId: id,
    source: result.tables.map((t) => t.source).join(', ') || 'sql',
    title: `SQL over ${result.tables.map((t) => t.name).join(', ') || 'the tables'}`,
    page: null,
    headings: [],
    start: 0,
    end: text.length,
    text,
    contextStart: 0,
    contextEnd: text.length,
    scores: {},
    metadata: { sql: result.sql },
  };
  return { marker, passage, relevant: true, rerank: null, score: 1, kept: true };
}

function emptyAnswer(route: TableRoute): TableAnswer {
  return { route, sql: null, columns: [], rows: [], truncated: false, tables: [], sourceRows: [], error: null };
}

/** The SQL step: a query, and after a failure one more with the error shown; null when both failed. */
async function sqlStage(run: Run, tables: DataTable[], choice: TableRoute): Promise<GradedPassage | null> {
  const answer = emptyAnswer(choice);
  run.result.table = answer;
  const call = run.call as NonNullable<Run['call']>;
  const written = await timed(run, 'retrieve', () =>
    writeAndRun({
      generator: call.generator,
      timeoutMs: run.config.timeoutMs,
      signal: run.request.signal,
      question: run.result.standaloneQuestion,
      tables,
      run: (sql) =>
        runSql({ store: run.deps.embedded as Store, config: run.deps.config }, run.collection.name, sql, run.request.signal),
    }),
  );
  if (!written.ok) {
    Object.assign(answer, { sql: written.sql, error: written.error });
    run.result.notes.push(`The SQL query failed twice (${written.error}); the answer uses the passages.`);
    return null;
  }
  const { result } = written;
  Object.assign(answer, {
    sql: result.sql,
    columns: result.columns,
    rows: result.rows,
    truncated: result.truncated,
    tables: result.tables,
    sourceRows: sourceRows(run, result),
  });
  reflection(run, 'retrieve', { sql: result.sql, rows: result.rows.length, retried: written.retried });
  const graded = resultPassage(result, Math.max(0, ...run.result.passages.map((p) => p.marker)) + 1);
  run.result.passages.push(graded);
  return graded;
}

/**
 * With a generator and a collection that has tables, the question decides (routed by the
 * generator): passages as usual, an SQL result as the one passage, or both. Without tables or a
 * generator, retrieval runs as always.
 */
export async function tableRouteStage(run: Run, retrieve: () => Promise<GradedPassage[]>): Promise<GradedPassage[]> {
  if (!run.call) return retrieve();
  const tables = tablesOf(run);
  if (tables.length === 0) return retrieve();
  const choice = await route(run, tables);
  if (choice === 'passages') return retrieve();
  // Passages first, so the result's marker follows theirs.
  const passages = choice === 'both' ? await retrieve() : [];
  const sql = await sqlStage(run, tables, choice);
  if (!sql) return choice === 'both' ? passages : retrieve();
  return [...passages, sql];
}

/**
 * Without a generator: a question about one table cell is answered with that cell, cited to its
 * row; true when it answered. Other questions go to the extractive answerer as before.
 */
export function tableCellStage(run: Run, kept: GradedPassage[]): boolean {
  const found = run.deps.embedded ? lookupCell(run.deps.embedded, run.result.standaloneQuestion, kept) : null;
  if (!found) return false;
  const r = run.result;
  r.mode = 'extractive';
  r.answer = found.answer;
  r.sentences = found.sentences;
  r.citations = found.citations;
  r.table = {
    ...emptyAnswer('passages'),
    sourceRows: [{ table: found.table, row: found.row, chunkId: found.citations[0]?.chunkId ?? null }],
  };
  r.notes.push(
    `Answered from table ${found.table}, row ${found.row}. Without a generator, computed questions need SQL: POST /v1/collections/${run.collection.name}/sql or \`cairn sql\`.`,
  );
  return true;
}
