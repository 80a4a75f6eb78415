import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../../core/index.ts';
import { type AnnManager, createAnnManager } from '../../../indexer/ann/index.ts';
import { indexPaths } from '../../../indexer/ann/manifest.ts';
import { openStore, type Store } from '../../../store/index.ts';
import { tempDir } from './helpers.ts';
import { indexConfig, vectorFor, vectorRowids, writeDoc } from './store-fixture.ts';

const D = 16;
const MODEL = 'test/model-a';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
const managers: AnnManager[] = [];

function manager(overrides: Record<string, unknown> = {}, logger = silentLogger): AnnManager {
  const made = createAnnManager({ store, dataDir: tmp.dir, config: indexConfig(overrides), logger });
  managers.push(made);
  return made;
}

beforeEach(() => {
  tmp = tempDir();
  store = openStore({ dataDir: tmp.dir });
  store.collections.ensure({ name: 'docs' });
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  store.close();
  tmp.cleanup();
});

function sortedLabels(index: { labels(): number[] } | null): number[] {
  return (index?.labels() ?? []).sort((a, b) => a - b);
}

describe('ann manager', () => {
  it('returns null without vectors, then an index that follows writes and deletes', async () => {
    const ann = manager();
    expect(await ann.get('docs', MODEL)).toBeNull();
    for (let i = 0; i < 5; i++) writeDoc(store, 'docs', i, 4, MODEL, D);
    const index = await ann.get('docs', MODEL);
    expect(index?.kind).toBe('flat');
    expect(sortedLabels(index)).toEqual(vectorRowids(store, 'docs', MODEL));
    store.documents.remove('docs-doc-2');
    writeDoc(store, 'docs', 1, 2, MODEL, D);
    const again = await ann.get('docs', MODEL);
    expect(sortedLabels(again)).toEqual(vectorRowids(store, 'docs', MODEL));
    expect(again?.size()).toBe(14);
    expect(await ann.get('docs', 'other/model')).toBeNull();
  });

  it('saves on close and reopens from the file, catching up changes made meanwhile', async () => {
    for (let i = 0; i < 6; i++) writeDoc(store, 'docs', i, 3, MODEL, D);
    const first = manager();
    await first.get('docs', MODEL);
    await first.close();
    const paths = indexPaths(tmp.dir, 'docs', MODEL);
    const manifest = JSON.parse(readFileSync(paths.manifest, 'utf8'));
    expect(manifest.seq).toBe(store.vectors.lastChange('docs', MODEL));
    expect(manifest.count).toBe(18);
    store.documents.remove('docs-doc-0');
    writeDoc(store, 'docs', 9, 5, MODEL, D);
    const lines: string[] = [];
    const second = manager({}, createLogger({ level: 'debug', write: (line) => lines.push(line) }));
    const index = await second.get('docs', MODEL);
    expect(sortedLabels(index)).toEqual(vectorRowids(store, 'docs', MODEL));
    expect(lines.some((line) => line.includes('rebuilt'))).toBe(false);
  });

  it('rebuilds from the database when the file is truncated, from another model or ahead', async () => {
    for (let i = 0; i < 4; i++) writeDoc(store, 'docs', i, 3, MODEL, D);
    const paths = indexPaths(tmp.dir, 'docs', MODEL);
    const first = manager();
    await first.get('docs', MODEL);
    await first.close();
    const manifest = JSON.parse(readFileSync(paths.manifest, 'utf8'));
    const data = path.join(paths.folder, manifest.file);
    truncateSync(data, 20);
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) });
    expect(sortedLabels(await manager({}, logger).get('docs', MODEL))).toEqual(vectorRowids(store, 'docs', MODEL));
    expect(warnings.at(-1)).toContain('unusable');
    writeFileSync(paths.manifest, JSON.stringify({ ...manifest, modelId: 'someone/else' }));
    expect(sortedLabels(await manager({}, logger).get('docs', MODEL))).toHaveLength(12);
    expect(warnings.at(-1)).toContain('another model');
    writeFileSync(paths.manifest, JSON.stringify({ ...manifest, seq: manifest.seq + 100 }));
    expect(sortedLabels(await manager({}, logger).get('docs', MODEL))).toHaveLength(12);
    expect(warnings.at(-1)).toContain('ahead of the database');
    writeFileSync(paths.manifest, '{not json');
    expect(sortedLabels(await manager({}, logger).get('docs', MODEL))).toHaveLength(12);
    expect(warnings.at(-1)).toContain('manifest unreadable');
  });

  it('picks flat below autoFlatBelow and hnsw above; a collection can pin ivf', async () => {
    for (let i = 0; i < 10; i++) writeDoc(store, 'docs', i, 4, MODEL, D);
    expect((await manager({ autoFlatBelow: 100 }).get('docs', MODEL))?.kind).toBe('flat');
    expect((await manager({ autoFlatBelow: 20 }).get('docs', MODEL))?.kind).toBe('hnsw');
    store.collections.update('docs', { settings: { index: 'ivf' } });
    const ivf = await manager({ autoFlatBelow: 20 }).get('docs', MODEL);
    expect(ivf?.kind).toBe('ivf');
    expect(ivf?.search(vectorFor(3, 1, D), 1)[0]?.label).toBe(vectorRowids(store, 'docs', MODEL)[13]);
  });

  it('drop removes the files; saves leave one generation on disk', async () => {
    for (let i = 0; i < 3; i++) writeDoc(store, 'docs', i, 3, MODEL, D);
    const ann = manager({ saveAfterChanges: 1 });
    await ann.get('docs', MODEL);
    writeDoc(store, 'docs', 7, 3, MODEL, D);
    await ann.get('docs', MODEL);
    const paths = indexPaths(tmp.dir, 'docs', MODEL);
    expect(readdirSync(paths.folder)).toHaveLength(2);
    await ann.drop('docs');
    expect(() => readdirSync(paths.folder)).toThrow();
  });

  it('an hnsw index saved and reloaded never returns a deleted chunk', async () => {
    for (let i = 0; i < 30; i++) writeDoc(store, 'docs', i, 4, MODEL, D);
    const first = manager({ kind: 'hnsw' });
    await first.get('docs', MODEL);
    for (let i = 0; i < 30; i += 3) store.documents.remove(`docs-doc-${i}`);
    await first.get('docs', MODEL);
    await first.close();
    const index = await manager({ kind: 'hnsw' }).get('docs', MODEL);
    const live = new Set(vectorRowids(store, 'docs', MODEL));
    expect(sortedLabels(index)).toEqual([...live]);
    for (let i = 0; i < 30; i++) for (const hit of index!.search(vectorFor(i, 0, D), 10)) expect(live.has(hit.label)).toBe(true);
  });

  it('skips stored vectors an index cannot hold (NaN, zero under cosine) with a warning', async () => {
    const rowids = [...writeDoc(store, 'docs', 1, 3, MODEL, D), ...writeDoc(store, 'docs', 2, 2, MODEL, D)];
    const bad = new Float32Array(D);
    bad[2] = Number.NaN;
    store.vectors.put('docs', MODEL, [
      { rowid: rowids[0]!, vector: bad },
      { rowid: rowids[1]!, vector: new Float32Array(D) },
    ]);
    const warnings: string[] = [];
    const ann = manager({}, createLogger({ level: 'warn', write: (line) => warnings.push(line) }));
    const index = await ann.get('docs', MODEL);
    expect(sortedLabels(index)).toEqual(rowids.slice(2));
    expect(warnings.filter((line) => line.includes('skipping a vector'))).toHaveLength(2);
  });
});
