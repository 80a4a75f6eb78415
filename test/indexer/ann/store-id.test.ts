import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../core/index.ts';
import { createInlineBuilder } from '../../../indexer/ann/builder.ts';
import { type AnnManager, type AnnManagerOptions, createAnnManager } from '../../../indexer/ann/index.ts';
import { indexPaths, type Manifest } from '../../../indexer/ann/manifest.ts';
import { databaseFile, openStore, type Store } from '../../../store/index.ts';
import { tempDir } from './helpers.ts';
import { indexConfig, vectorFor, vectorRowids, writeDoc } from './store-fixture.ts';

/**
 * Index files kept in <dataDir>/indexes/ while cairn.db is deleted and made again: the new
 * database can reach the same rowids and vector_changes seq as the old one, so only the store id
 * in the manifest tells the old index apart. It must never answer for the new database.
 */
const D = 16;
const MODEL = 'test/model-a';

let tmp: ReturnType<typeof tempDir>;
const stores: Store[] = [];
const managers: AnnManager[] = [];
const warnings: string[] = [];
const FOREIGN = `warn: ann index file not used: it was built from another database; rebuilding ${JSON.stringify({ collectionId: 'docs', modelId: MODEL })}`;
const logger: Logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });

function open(): Store {
  const store = openStore({ dataDir: tmp.dir });
  stores.push(store);
  store.collections.ensure({ name: 'docs' });
  return store;
}

function manager(store: Store, overrides: Partial<AnnManagerOptions> = {}): AnnManager {
  const made = createAnnManager({ store, dataDir: tmp.dir, config: indexConfig(), logger, ...overrides });
  managers.push(made);
  return made;
}

/** Closes the store and deletes its database files, keeping indexes/ (the "reset" users do). */
function deleteDatabase(store: Store): void {
  store.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${databaseFile(tmp.dir)}${suffix}`, { force: true });
}

const manifestFile = () => indexPaths(tmp.dir, 'docs', MODEL).manifest;
const manifest = () => JSON.parse(readFileSync(manifestFile(), 'utf8')) as Manifest;

/** Documents first..first+n-1, 3 chunks each: vectors depend on the document number. */
function writeDocs(store: Store, first: number, n: number): void {
  for (let i = first; i < first + n; i++) writeDoc(store, 'docs', i, 3, MODEL, D);
}

/** Top hit for document i's first chunk vector: its rowid and score (1 for the very same vector under cosine). */
async function topHit(ann: AnnManager, i: number) {
  const index = await ann.get('docs', MODEL);
  const [hit] = index?.search(vectorFor(i, 0, D), 1) ?? [];
  return { label: hit?.label, score: Number(hit?.score.toFixed(5)) };
}

beforeEach(() => {
  tmp = tempDir();
  warnings.length = 0;
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const s of stores.splice(0)) s.close();
  tmp.cleanup();
});

describe('ann index files and the database they were built from', () => {
  it('ignores a file left by a deleted database with the same seq and rebuilds from the new one', async () => {
    const old = open();
    writeDocs(old, 0, 4);
    const first = manager(old);
    await first.get('docs', MODEL);
    await first.close();
    const saved = manifest();
    expect([saved.storeId, saved.count]).toEqual([old.id, 12]);
    deleteDatabase(old);

    const store = open();
    writeDocs(store, 10, 4);
    // The dangerous case: same rowids and the same change seq as the saved index.
    expect([store.id === old.id, vectorRowids(store, 'docs', MODEL), store.vectors.lastChange('docs', MODEL)]).toEqual([
      false,
      Array.from({ length: 12 }, (_, k) => k + 1),
      saved.seq,
    ]);
    const ann = manager(store);
    expect(await topHit(ann, 10)).toEqual({ label: 1, score: 1 });
    expect(await topHit(ann, 13)).toEqual({ label: 10, score: 1 });
    expect(warnings).toEqual([FOREIGN]);
    await ann.close();
    expect(manifest().storeId).toBe(store.id);

    // Saved under the new id: the next start loads it without a warning.
    const again = manager(store);
    expect(await topHit(again, 11)).toEqual({ label: 4, score: 1 });
    expect(warnings).toHaveLength(1);
  });

  it('treats a manifest written before store ids as foreign: rebuilt once, then saved with the id', async () => {
    const store = open();
    writeDocs(store, 0, 4);
    const first = manager(store);
    await first.get('docs', MODEL);
    await first.close();
    const { storeId: _, ...legacy } = manifest();
    writeFileSync(manifestFile(), JSON.stringify(legacy));
    const ann = manager(store);
    expect(await topHit(ann, 2)).toEqual({ label: 7, score: 1 });
    expect(warnings).toEqual([FOREIGN]);
    await ann.close();
    expect(manifest().storeId).toBe(store.id);
    expect(await topHit(manager(store), 2)).toEqual({ label: 7, score: 1 });
    expect(warnings).toHaveLength(1);
  });

  it('a background build replaces a foreign file whose seq is ahead; searches meanwhile are exact', async () => {
    const old = open();
    writeDocs(old, 0, 8);
    const first = manager(old);
    await first.get('docs', MODEL);
    await first.close();
    expect(manifest().seq).toBeGreaterThan(0);
    const foreignSeq = manifest().seq;
    deleteDatabase(old);

    const store = open();
    writeDocs(store, 20, 4);
    expect(store.vectors.lastChange('docs', MODEL)).toBeLessThan(foreignSeq);
    const config = indexConfig({ inlineBelow: 1 });
    const ann = manager(store, { config, builder: createInlineBuilder({ store, dataDir: tmp.dir, config, logger }) });
    // Answered at once from the database (the build runs after), never from the old file.
    expect(await topHit(ann, 21)).toEqual({ label: 4, score: 1 });
    await ann.idle();
    expect([manifest().storeId, manifest().count, manifest().seq]).toEqual([
      store.id,
      12,
      store.vectors.lastChange('docs', MODEL),
    ]);
    expect(await topHit(ann, 23)).toEqual({ label: 10, score: 1 });
  });
});
