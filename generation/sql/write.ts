import { toCairnError } from '../../core/index.ts';
import type { Generator } from '../../models/types.ts';
import type { DataTable } from '../../store/index.ts';
import { gradeJson } from '../grader.ts';
import { callSignal } from '../signals.ts';
import { queryPrompt } from './prompts.ts';
import { asQuery, compileQuery, querySchema } from './query.ts';
import type { SqlResult } from './service.ts';

export interface WriteContext {
  generator: Generator;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  question: string;
  tables: DataTable[];
  /** Runs the compiled SQL (guarded, read-only, limited). */
  run: (sql: string) => Promise<SqlResult>;
}

export type Written = { ok: true; result: SqlResult; retried: boolean } | { ok: false; error: string; sql: string | null };

/** One query from the generator, in the grammar of the collection's tables; compiled and run. */
async function attempt(ctx: WriteContext, failed?: { query: string; error: string }): Promise<SqlResult> {
  let text = '';
  try {
    const query = await gradeJson(ctx.generator, {
      stage: 'sql',
      messages: queryPrompt(ctx.question, ctx.tables, failed),
      schema: querySchema(ctx.tables),
      validate: (v) => {
        text = JSON.stringify(v);
        return asQuery(v);
      },
      maxTokens: 400,
      signal: callSignal(ctx.signal, ctx.timeoutMs),
    });
    text = compileQuery(query, ctx.tables);
    return await ctx.run(text);
  } catch (error) {
    throw Object.assign(new Error(toCairnError(error).message), { query: text });
  }
}

/** A query written and run; after a failure, written once more with the failed query and its error shown. */
export async function writeAndRun(ctx: WriteContext): Promise<Written> {
  let failed: { query: string; error: string } | undefined;
  for (let i = 0; i < 2; i++) {
    try {
      return { ok: true, result: await attempt(ctx, failed), retried: i > 0 };
    } catch (error) {
      failed = { query: (error as { query?: string }).query ?? '', error: (error as Error).message };
    }
  }
  const last = failed as { query: string; error: string };
  return { ok: false, error: last.error, sql: last.query || null };
}
