import { CairnError } from '../../core/index.ts';
import { resultTable, runSql } from '../../generation/index.ts';
import { openStore } from '../../store/index.ts';
import type { Command } from '../context.ts';

export const sqlCommand: Command = {
  name: 'sql',
  summary: "Run one read-only SELECT over a collection's tables",
  usage: 'cairn sql "<select>" [--collection c] [--json]   (table names: cairn tables)',
  options: { collection: { type: 'string', short: 'c', description: 'collection name (default "default")' } },
  async run(ctx) {
    const sql = ctx.args.join(' ').trim();
    if (!sql) throw new CairnError('USAGE', 'cairn sql needs a SELECT, e.g. cairn sql "SELECT * FROM sales LIMIT 5"');
    const collection = typeof ctx.flags.collection === 'string' ? ctx.flags.collection : 'default';
    const store = openStore({ dataDir: ctx.config.dataDir });
    try {
      const result = await runSql({ store, config: ctx.config }, collection, sql);
      if (ctx.json) {
        ctx.stdout(JSON.stringify(result));
        return 0;
      }
      ctx.stdout(resultTable(result.columns, result.rows, Number.POSITIVE_INFINITY));
      const sources = result.tables.map((t) => `${t.name} (${t.source}${t.sheet ? `, sheet ${t.sheet}` : ''})`).join(', ');
      const cut = result.truncated ? `, cut at ${ctx.config.tables.maxRows} (tables.maxRows)` : '';
      ctx.stderr(`${result.rows.length} rows${cut} in ${result.ms} ms${sources ? ` from ${sources}` : ''}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
