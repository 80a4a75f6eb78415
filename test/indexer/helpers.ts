import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, type ConfigInput, parseConfig, silentLogger } from '../../core/index.ts';
import { type IngestDeps, type LoadResult, loadInput } from '../../indexer/index.ts';
import { createHashEmbedder, type Embedder } from '../../models/index.ts';
import { openStore, type Store, sqliteDeps } from '../../store/index.ts';

export const DOCS = path.resolve(import.meta.dirname, '../fixtures/docs');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(DOCS, name)));
}

export function testConfig(input: ConfigInput = {}): Config {
  return parseConfig(input);
}

export async function loadFixture(name: string, config: Config = testConfig(), password?: string): Promise<LoadResult> {
  const source = path.join(DOCS, name);
  return loadInput({ source, name, data: fixture(name), metadata: {} }, { config, ...(password ? { password } : {}) });
}

/** The embedded store (`store`, read synchronously by the tests) and what ingest needs besides. */
export interface Harness extends Omit<IngestDeps, 'store' | 'embedded'> {
  store: Store;
  dir: string;
  cleanup(): void;
}

/** An in-memory store, a hash embedder and a temp folder, removed by cleanup(). */
export function createHarness(options: { embedder?: Embedder | null; config?: ConfigInput } = {}): Harness {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-indexer-'));
  const store: Store = openStore({ file: ':memory:' });
  const config = testConfig({ dataDir: dir, ...options.config });
  const embedder = options.embedder === undefined ? createHashEmbedder(16) : options.embedder;
  return {
    dir,
    store,
    config,
    logger: silentLogger,
    embedder,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The harness as ingest's deps: its store through the contract, and the embedded store itself. */
export function ingestDeps(h: Harness): IngestDeps {
  return { ...h, ...sqliteDeps(h.store) };
}

export function rowCount(store: Store, table: string): number {
  return (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}
