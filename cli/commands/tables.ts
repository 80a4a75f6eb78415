import { listTables } from '../../generation/index.ts';
import { openStore } from '../../store/index.ts';
import type { Command } from '../context.ts';

export const tablesCommand: Command = {
  name: 'tables',
  summary: "List a collection's tables: SQL names, columns and types, rows, sources",
  usage: 'cairn tables [--collection c] [--json]',
  options: { collection: { type: 'string', short: 'c', description: 'collection name (default "default")' } },
  async run(ctx) {
    const collection = typeof ctx.flags.collection === 'string' ? ctx.flags.collection : 'default';
    const store = openStore({ dataDir: ctx.config.dataDir });
    try {
      const tables = listTables(store, collection);
      if (ctx.json) ctx.stdout(JSON.stringify({ tables }));
      else if (tables.length === 0) ctx.stdout(`no tables in "${collection}": ingest CSV, TSV, XLSX or documents with tables`);
      for (const t of ctx.json ? [] : tables) {
        const where = [t.source, t.sheet ? `sheet ${t.sheet}` : '', t.page ? `page ${t.page}` : ''].filter(Boolean).join(', ');
        ctx.stdout(`${t.name}\t${t.rows} rows\t${where}`);
        for (const c of t.columns) ctx.stdout(`  ${c.name}\t${c.type}${c.label !== c.name ? `\t"${c.label}"` : ''}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
