import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { createIndexWork } from '../../../indexer/ann/index-work.ts';
import { openStore, type Store } from '../../../store/index.ts';
import { tempDir } from './helpers.ts';
import { indexConfig, writeDoc } from './store-fixture.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeEach(() => {
  tmp = tempDir();
  store = openStore({ dataDir: tmp.dir });
  store.collections.ensure({ name: 'docs' });
  store.collections.ensure({ name: 'other' });
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('index work', () => {
  it('reads the dimensions of a (collection, model) from its first vector, null without vectors', () => {
    writeDoc(store, 'docs', 1, 3, 'small', 8);
    writeDoc(store, 'docs', 2, 2, 'wide', 24);
    writeDoc(store, 'other', 3, 2, 'small', 12);
    const work = createIndexWork({ store, config: indexConfig(), logger: silentLogger });
    expect(work.dimensionsOf('docs', 'small')).toBe(8);
    expect(work.dimensionsOf('docs', 'wide')).toBe(24);
    expect(work.dimensionsOf('other', 'small')).toBe(12);
    expect(work.dimensionsOf('other', 'wide')).toBeNull();
    expect(work.dimensionsOf('missing', 'small')).toBeNull();
    // The statement is closed after the early return: the store still writes.
    writeDoc(store, 'other', 4, 1, 'wide', 4);
    expect(work.dimensionsOf('other', 'wide')).toBe(4);
  });
});
