import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, type ConfigInput, parseConfig, silentLogger } from '../../core/index.ts';
import { ingest } from '../../indexer/index.ts';
import { openStore, type Store, sqliteDeps } from '../../store/index.ts';

export interface TablesHarness {
  dir: string;
  store: Store;
  config: Config;
  cleanup(): void;
}

/** A store in a temp data folder (the SQL thread opens its file read-only), no embedder. */
export function createTablesHarness(config: ConfigInput = {}): TablesHarness {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-sql-'));
  const store = openStore({ dataDir: dir });
  return {
    dir,
    store,
    config: parseConfig({ dataDir: dir, ...config }),
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function ingestText(
  h: TablesHarness,
  collection: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  const sources = Object.entries(files).map(([name, body]) => ({
    kind: 'bytes' as const,
    name,
    source: name,
    data: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  }));
  const summary = await ingest(
    { ...sqliteDeps(h.store), config: h.config, logger: silentLogger, embedder: null },
    { collection, sources },
  );
  if (summary.failed.length > 0) throw new Error(JSON.stringify(summary.failed));
}

export const FRUIT_CSV = 'Item,Price,In stock\nJuicy Apples,1.99,739\nBananas,1.89,6\nCherries,4.50,120\n';

/** A table of n numbered rows: a few self-joins of it are more work than any time limit allows. */
export function numbersCsv(n: number): string {
  return `n,label\n${Array.from({ length: n }, (_, i) => `${i + 1},row ${i + 1}`).join('\n')}\n`;
}
