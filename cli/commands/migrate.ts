import { existsSync } from 'node:fs';
import path from 'node:path';
import { CairnError } from '../../core/index.ts';
import { type CopyReport, copySqliteToPostgres } from '../../store/copy-to-postgres.ts';
import { databaseFile, openStore } from '../../store/index.ts';
import { openPostgresStore } from '../../store/postgres/index.ts';
import type { Command, CommandContext } from '../context.ts';

function targetUrl(ctx: CommandContext): string {
  const to = ctx.flags.to;
  if (typeof to !== 'string' || !/^postgres(ql)?:\/\//.test(to)) {
    throw new CairnError('USAGE', 'cairn migrate needs --to postgres://user@host:port/database');
  }
  return to;
}

function describe(report: CopyReport): string[] {
  const lines = report.tables.map((t) => `${t.table}\t${t.source}\t${t.target}${t.source === t.target ? '' : '\tMISMATCH'}`);
  return [
    `documents copied ${report.documents.copied}, already there ${report.documents.alreadyThere}`,
    'table\tdata folder\tpostgres',
    ...lines,
    report.ok ? 'counts match' : 'counts differ: run the same command again to resume',
  ];
}

/** Progress on stderr, at most one line per table and tenth of it, so a large copy shows it is alive. */
function progressReporter(ctx: CommandContext) {
  const shown = new Map<string, number>();
  return (event: { table: string; done: number; total: number }) => {
    const tenth = event.total === 0 ? 10 : Math.floor((event.done / event.total) * 10);
    if ((shown.get(event.table) ?? -1) >= tenth) return;
    shown.set(event.table, tenth);
    ctx.stderr(`${event.table}: ${event.done}/${event.total}`);
  };
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Copy the embedded data folder into PostgreSQL (resumable; verifies counts)',
  usage: 'cairn migrate --to postgres://user@host:port/database [--data <folder>]',
  options: {
    to: { type: 'string', description: 'the PostgreSQL database to copy into (pgvector ≥ 0.8); migrated first' },
  },
  async run(ctx) {
    const url = targetUrl(ctx);
    if (!existsSync(databaseFile(ctx.config.dataDir))) {
      throw new CairnError('NOT_FOUND', `No Cairn database in ${ctx.config.dataDir}: nothing to migrate`);
    }
    const source = openStore({ dataDir: ctx.config.dataDir });
    const target = await openPostgresStore({ url, poolSize: 2 }).catch((error) => {
      source.close();
      throw error;
    });
    try {
      const report = await copySqliteToPostgres(source.db, target.pool, {
        onProgress: progressReporter(ctx),
        uploadsDir: path.join(ctx.config.dataDir, 'uploads'),
      });
      if (ctx.json) ctx.stdout(JSON.stringify(report));
      else for (const line of describe(report)) ctx.stdout(line);
      return report.ok ? 0 : 1;
    } finally {
      source.close();
      await target.close();
    }
  },
};
