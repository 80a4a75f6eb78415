import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CairnError } from '../../core/index.ts';
import { runSqlEval, type SqlEvalReport } from '../../generation/index.ts';
import { ingest } from '../../indexer/index.ts';
import { openStore, sqliteDeps } from '../../store/index.ts';
import type { CommandContext } from '../context.ts';
import { resolveAnswerModels } from './ask.ts';

export const SQL_USAGE = 'cairn eval sql <questions.json> [--json]   (execution accuracy of the configured generator)';

export function formatSqlReport(r: SqlEvalReport): string {
  const lines = [
    `${path.basename(r.file)}: ${r.questions} questions, SQL written by ${r.generator}`,
    `execution accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.correct}/${r.questions}); ${r.executed} ran, ${r.retried} after a retry; ${r.seconds} s`,
  ];
  for (const m of r.misses.slice(0, 20)) {
    lines.push(
      `  ${m.id} ${m.question}\n    ${m.sql ?? '(no query)'}\n    ${m.error ? `error: ${m.error}` : `got ${JSON.stringify(m.got)}`}`,
    );
  }
  return lines.join('\n');
}

/** The tables in a scratch data folder, the configured generator writing each question's query. */
export async function runSqlEvalCommand(ctx: CommandContext, file: string): Promise<number> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cairn-eval-sql-'));
  const config = { ...ctx.config, dataDir: scratch };
  const store = openStore({ dataDir: scratch });
  const stores = sqliteDeps(store);
  const models = await resolveAnswerModels(config, ctx.logger, stores.store, 'sql-eval', { retrieval: false });
  try {
    const generator = models.generator;
    if (!generator) {
      const why = models.notes.join('; ') || 'no generator is configured (models.generator)';
      throw new CairnError('MODEL_MISSING', `cairn eval sql measures a generator's SQL, and none is available: ${why}`);
    }
    const add = async (collection: string, files: string[]) => {
      const summary = await ingest({ ...stores, config, logger: ctx.logger, embedder: null }, { collection, sources: files });
      if (summary.failed.length > 0)
        throw new CairnError('LOADER_FAILED', `could not load ${summary.failed.map((f) => f.source).join(', ')}`);
    };
    const report = await runSqlEval({ store, config, logger: ctx.logger, generator, ingest: add }, path.resolve(file));
    ctx.stdout(ctx.json ? JSON.stringify(report) : formatSqlReport(report));
    return 0;
  } finally {
    await models.dispose();
    store.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
