import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, parseConfig, silentLogger } from '../../core/index.ts';
import { type AnnManager, createAnnManager } from '../../indexer/ann/index.ts';
import { createLexicalIndexCache, search, sqliteSearchDeps } from '../../retrieval/index.ts';
import { rowCache } from '../../retrieval/passages.ts';
import { openStore, type Store } from '../../store/index.ts';
import { tempDir } from '../indexer/ann/helpers.ts';
import { indexConfig, vectorFor, vectorRowids, writeDoc } from '../indexer/ann/store-fixture.ts';
import { makeDocument } from './fixtures.ts';

const D = 8;
const MODEL = 'test/model';
const config = parseConfig({ logLevel: 'silent' });

let tmp: ReturnType<typeof tempDir>;
let store: Store;
const managers: AnnManager[] = [];
const others: Store[] = [];

beforeEach(() => {
  tmp = tempDir();
  store = openStore({ dataDir: tmp.dir });
  store.collections.ensure({ name: 'docs' });
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const s of others.splice(0)) s.close();
  store.close();
  tmp.cleanup();
});

function manager(on: Store, logger = silentLogger): AnnManager {
  const made = createAnnManager({
    store: on,
    dataDir: tmp.dir,
    config: indexConfig({ kind: 'flat', saveAfterChanges: 1 }),
    logger,
  });
  managers.push(made);
  return made;
}

async function bm25(on: Store, query: string): Promise<string[]> {
  const deps = {
    ...sqliteSearchDeps({ store: on, ann: { get: async () => null }, lexical: createLexicalIndexCache() }),
    config,
    embedder: null,
    reranker: null,
  };
  const result = await search(deps, { collection: 'docs', query, mode: 'bm25', k: 5, rerank: false, contextWindow: 0 });
  return result.passages.map((p) => p.text);
}

const cachedTexts = (on: Store) => [...rowCache(on).values()].map((row) => row.chunk.text).sort();

describe('the row cache after a delete', () => {
  it('holds no text of a document deleted by this connection or another one', async () => {
    const secret = makeDocument('docs', 'secret.txt', 'zebra quartz vault');
    const kept = makeDocument('docs', 'kept.txt', 'cairns mark trails');
    store.documents.write(secret.doc, secret.chunks);
    store.documents.write(kept.doc, kept.chunks);
    expect(await bm25(store, 'zebra cairns')).toEqual(['zebra quartz vault', 'cairns mark trails']);
    expect(cachedTexts(store)).toEqual(['cairns mark trails', 'zebra quartz vault']);

    store.documents.remove(secret.doc.id);
    expect(cachedTexts(store)).toEqual([]);
    expect(await bm25(store, 'zebra cairns')).toEqual(['cairns mark trails']);

    // A search thread has its own connection: a delete made elsewhere empties its cache too.
    const other = openStore({ dataDir: tmp.dir });
    others.push(other);
    expect(await bm25(other, 'cairns')).toEqual(['cairns mark trails']);
    store.documents.remove(kept.doc.id);
    expect(cachedTexts(other)).toEqual([]);
  });
});

const changeRows = (on: Store) => on.db.prepare('SELECT count(*) FROM vector_changes').pluck().get() as number;

describe('vector_changes once the index is saved', () => {
  it('are pruned up to what the saved index holds, and a restart loads it without a rebuild', async () => {
    for (let i = 0; i < 4; i++) writeDoc(store, 'docs', i, 3, MODEL, D);
    expect(changeRows(store)).toBe(12);
    const ann = manager(store);
    const seq = store.vectors.lastChange('docs', MODEL);
    expect((await ann.get('docs', MODEL))?.size()).toBe(12);
    expect([changeRows(store), store.vectors.changeFloor('docs', MODEL), store.vectors.lastChange('docs', MODEL)]).toEqual([
      0,
      seq,
      seq,
    ]);

    store.documents.remove('docs-doc-0');
    writeDoc(store, 'docs', 9, 2, MODEL, D);
    expect((await ann.get('docs', MODEL))?.labels().sort((a, b) => a - b)).toEqual(vectorRowids(store, 'docs', MODEL));
    expect(changeRows(store)).toBe(0);
    await ann.close();

    let rebuilt = false;
    const logger = createLogger({ level: 'debug', write: (line) => (rebuilt ||= line.includes('rebuilt')) });
    const restarted = manager(store, logger);
    expect((await restarted.get('docs', MODEL))?.labels().sort((a, b) => a - b)).toEqual(vectorRowids(store, 'docs', MODEL));
    expect(rebuilt).toBe(false);
  });

  it('an index in another thread that fell behind the pruned log reloads the saved file and never returns a deleted chunk', async () => {
    for (let i = 0; i < 3; i++) writeDoc(store, 'docs', i, 2, MODEL, D);
    const other = openStore({ dataDir: tmp.dir });
    others.push(other);
    const behind = manager(other);
    expect((await behind.get('docs', MODEL))?.size()).toBe(6);

    const removed = vectorRowids(store, 'docs', MODEL).slice(0, 2);
    store.documents.remove('docs-doc-0');
    writeDoc(store, 'docs', 5, 2, MODEL, D);
    const saver = manager(store);
    expect((await saver.get('docs', MODEL))?.size()).toBe(6);
    expect(changeRows(store)).toBe(0);

    const index = await behind.get('docs', MODEL);
    expect(index?.labels().sort((a, b) => a - b)).toEqual(vectorRowids(store, 'docs', MODEL));
    const hits = index?.search(vectorFor(0, 0, D), 6).map((h) => h.label) ?? [];
    expect(hits.filter((label) => removed.includes(label))).toEqual([]);
  });

  it('of a deleted collection are forgotten with its index', async () => {
    writeDoc(store, 'docs', 1, 2, MODEL, D);
    const ann = manager(store);
    await ann.get('docs', MODEL);
    store.collections.remove('docs');
    expect(changeRows(store)).toBe(2);
    await ann.drop('docs');
    expect([changeRows(store), store.vectors.changeFloor('docs', MODEL)]).toEqual([0, 0]);
  });
});
