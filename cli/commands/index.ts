import type { Command } from '../context.ts';
import { askCommand } from './ask.ts';
import { collectionsCommand } from './collections.ts';
import { evalCommand } from './eval.ts';
import { ingestCommand } from './ingest.ts';
import { keysCommand } from './keys.ts';
import { mcpCommand } from './mcp.ts';
import { migrateCommand } from './migrate.ts';
import { modelsCommand } from './models.ts';
import { reindexCommand } from './reindex.ts';
import { searchCommand } from './search.ts';
import { serveCommand } from './serve.ts';
import { sqlCommand } from './sql.ts';
import { tablesCommand } from './tables.ts';

export const COMMANDS: Command[] = [
  serveCommand,
  mcpCommand,
  ingestCommand,
  reindexCommand,
  searchCommand,
  askCommand,
  tablesCommand,
  sqlCommand,
  collectionsCommand,
  modelsCommand,
  keysCommand,
  evalCommand,
  migrateCommand,
];
