import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { createIndexWork } from '../../../indexer/ann/index-work.ts';
import { indexPaths } from '../../../indexer/ann/manifest.ts';
import { overlayOfEverything } from '../../../indexer/ann/overlay.ts';
import { openStore, type Store } from '../../../store/index.ts';
import { tempDir } from './helpers.ts';
import { indexConfig, vectorRowids, writeDoc } from './store-fixture.ts';

const D = 8;
let tmp: ReturnType<typeof tempDir>;
let store: Store;
/** A second connection to the same database: the writers of other threads and processes. */
let other: Store;

beforeEach(() => {
  tmp = tempDir();
  store = openStore({ dataDir: tmp.dir });
  other = openStore({ dataDir: tmp.dir });
  store.collections.ensure({ name: 'docs' });
  for (let i = 1; i <= 10; i++) writeDoc(store, 'docs', i, 3, 'm', D);
});

afterEach(() => {
  other.close();
  store.close();
  tmp.cleanup();
});

interface Seen {
  pages: number;
  /** Whether the reading connection held a transaction when each page had been read. */
  inTransaction: boolean[];
  /** The busy flag of a TRUNCATE checkpoint run by the other connection after the first page. */
  checkpointBusy: number | null;
}

/**
 * The store, reading 4 vectors a page; after the first page the other connection deletes two
 * documents (one already read, one half read), adds one and replaces one, then checkpoints.
 */
function pagedStore(seen: Seen, afterWrites: () => void = () => {}): Store {
  const page: Store['vectors']['page'] = (collectionId, modelId, after, upTo) => {
    const rows = store.vectors.page(collectionId, modelId, after, upTo, 4);
    seen.pages += 1;
    seen.inTransaction.push(store.db.inTransaction);
    if (seen.pages === 1) {
      other.documents.remove('docs-doc-1');
      other.documents.remove('docs-doc-2');
      writeDoc(other, 'docs', 11, 2, 'm', D);
      writeDoc(other, 'docs', 9, 4, 'm', D);
      afterWrites();
      const [result] = other.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      seen.checkpointBusy = result?.busy ?? null;
    }
    return rows;
  };
  return { ...store, vectors: { ...store.vectors, page } };
}

const fresh = (): Seen => ({ pages: 0, inTransaction: [], checkpointBusy: null });

describe('paged ANN reads', () => {
  it('a rebuild holds no snapshot between pages, lets a checkpoint finish, and ends exact', () => {
    const seen = fresh();
    const work = createIndexWork({ store: pagedStore(seen), config: indexConfig({ kind: 'flat' }), logger: silentLogger });
    const entry = work.refresh(null, 'docs', 'm', indexPaths(tmp.dir, 'docs', 'm'));
    const expected = vectorRowids(store, 'docs', 'm');
    expect(expected.length).toBe(27);
    expect(entry?.index.size()).toBe(27);
    expect(expected.every((rowid) => entry?.index.has(rowid))).toBe(true);
    expect(entry?.seq).toBe(store.vectors.lastChange('docs', 'm'));
    // Pages stop at rowid 30, the highest at the start: the first page (rowids 1-4), then the 21
    // vectors left in 5-30 after the writes in 6 pages, then an empty one. The log brings in the rest.
    expect(seen.pages).toBe(8);
    expect(seen.inTransaction.every((held) => held === false)).toBe(true);
    expect(seen.checkpointBusy).toBe(0);
  });

  it('one snapshot, as reads were before, keeps the checkpoint from finishing', () => {
    const seen = fresh();
    const work = createIndexWork({ store: pagedStore(seen), config: indexConfig({ kind: 'flat' }), logger: silentLogger });
    store.db.transaction(() => work.refresh(null, 'docs', 'm', indexPaths(tmp.dir, 'docs', 'm')))();
    expect(seen.checkpointBusy).toBe(1);
  });

  it('reads again in one snapshot when the log it needs was pruned during the pages', () => {
    const seen = fresh();
    const prune = () => other.vectors.pruneChanges('docs', 'm', other.vectors.lastChange('docs', 'm'));
    const work = createIndexWork({ store: pagedStore(seen, prune), config: indexConfig({ kind: 'flat' }), logger: silentLogger });
    const entry = work.refresh(null, 'docs', 'm', indexPaths(tmp.dir, 'docs', 'm'));
    const expected = vectorRowids(store, 'docs', 'm');
    expect(entry?.index.size()).toBe(27);
    expect(expected.every((rowid) => entry?.index.has(rowid))).toBe(true);
    expect(seen.inTransaction.slice(0, 8)).toEqual(Array(8).fill(false));
    // The second read: 27 vectors in 7 pages and an empty one, inside one transaction.
    expect(seen.inTransaction.slice(8)).toEqual(Array(8).fill(true));
  });

  it('the overlay of a collection without a base is exact at its seq after paged reads', () => {
    const seen = fresh();
    const source = { store: pagedStore(seen), collectionId: 'docs', modelId: 'm', dimensions: D, metric: 'cosine' as const };
    const overlay = overlayOfEverything(source);
    const expected = vectorRowids(store, 'docs', 'm');
    expect(overlay.added.size()).toBe(27);
    expect(expected.every((rowid) => overlay.added.has(rowid))).toBe(true);
    expect(overlay.seq).toBe(store.vectors.lastChange('docs', 'm'));
    expect(seen.checkpointBusy).toBe(0);
  });
});
