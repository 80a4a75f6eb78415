import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreContract } from '../../store/contract.ts';
import { registerRestCases } from './contract-rest.case.ts';
import { makeDocument, unitVectors } from './fixtures.ts';

/** How the suite gets an empty store of one backend before each test, and what that backend's schema is. */
export interface ContractBackend {
  kind: 'sqlite' | 'postgres';
  open(): Promise<StoreContract>;
  schemaVersion(): number;
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

/** The code of the CairnError a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? `not a CairnError: ${(error as Error).message}`;
  }
  return 'resolved';
}

/** Writes a three-chunk document ("alpha", "beta", "gamma" by default) into collection `c`. */
export async function seedDocument(store: StoreContract, source = 'a.txt', text = 'alpha\n\nbeta\n\ngamma', withVectors = false) {
  const { doc, chunks } = makeDocument('c', source, text);
  const vectors = withVectors ? { modelId: 'm', dimensions: 3, vectors: unitVectors(chunks.length) } : undefined;
  return store.documents.write(doc, chunks, vectors);
}

/** The store contract, every method of every repo, with exact values: run once per backend. */
export function storeContractSuite(name: string, backend: () => ContractBackend): void {
  describe(`store contract: ${name}`, () => {
    let store: StoreContract;
    const s = () => store;
    beforeEach(async () => {
      store = await backend().open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('says its kind and schema version', async () => {
      expect([store.kind, await store.schemaVersion()]).toEqual([backend().kind, backend().schemaVersion()]);
    });

    registerCollectionCases(s);
    registerDocumentCases(s);
    registerChunkCases(s);
    registerRestCases(s);
  });
}

function registerCollectionCases(s: () => StoreContract): void {
  describe('collections', () => {
    it('create, get, require, list, ensure, update and remove', async () => {
      const store = s();
      const created = await store.collections.create({ name: 'docs', description: 'd', settings: { index: 'flat' } });
      expect(created).toMatchObject({ id: 'docs', name: 'docs', description: 'd' });
      expect(created.settings).toEqual({
        embedder: null,
        reranker: null,
        generator: null,
        index: 'flat',
        chunking: { splitter: 'auto', size: 512, overlap: 64, unit: 'tokens' },
        extra: {},
      });
      expect(created.createdAt).toMatch(ISO);
      expect(await store.collections.get('docs')).toEqual(created);
      expect(await store.collections.require('docs')).toEqual(created);
      expect(await store.collections.get('nope')).toBeNull();
      expect(await store.collections.ensure({ name: 'docs', description: 'other' })).toEqual(created);
      const ensured = await store.collections.ensure({ name: 'b-2' });
      expect([ensured.id, ensured.description]).toEqual(['b-2', '']);
      expect((await store.collections.list()).map((c) => c.name)).toEqual(['b-2', 'docs']);
      await tick();
      const updated = await store.collections.update('docs', {
        settings: { chunking: { splitter: 'token', size: 64, overlap: 8, unit: 'chars' } },
      });
      expect([updated.description, updated.settings.index, updated.settings.chunking.size, updated.createdAt]).toEqual([
        'd',
        'flat',
        64,
        created.createdAt,
      ]);
      expect(updated.updatedAt > created.updatedAt).toBe(true);
      expect(await store.collections.remove('docs')).toBe(true);
      expect(await store.collections.remove('docs')).toBe(false);
      expect((await store.collections.list()).map((c) => c.id)).toEqual(['b-2']);
    });

    it('refuses bad names, duplicates and misses with the same codes', async () => {
      const store = s();
      await store.collections.create({ name: 'docs' });
      expect(await codeOf(store.collections.create({ name: 'Bad Name' }))).toBe('VALIDATION');
      expect(await codeOf(store.collections.create({ name: 'docs' }))).toBe('COLLECTION_EXISTS');
      expect(await codeOf(store.collections.require('nope'))).toBe('COLLECTION_NOT_FOUND');
      expect(await codeOf(store.collections.update('nope', { description: 'x' }))).toBe('COLLECTION_NOT_FOUND');
    });

    it('removing a collection removes its documents, chunks, vectors and chats', async () => {
      const store = s();
      await store.collections.create({ name: 'c' });
      const { document } = await seedDocument(store, 'a.txt', 'alpha\n\nbeta', true);
      const chat = await store.chats.create({ collectionId: 'c' });
      expect(await store.collections.remove('c')).toBe(true);
      expect([
        await store.documents.get(document.id),
        await store.chunks.count('c'),
        await store.vectors.count('c'),
        await store.chats.get(chat.id),
      ]).toEqual([null, 0, 0, null]);
    });
  });
}

function registerDocumentCases(s: () => StoreContract): void {
  describe('documents', () => {
    beforeEach(async () => {
      await s().collections.create({ name: 'c' });
    });

    it('write stores a document with chunks; rewriting replaces its chunks atomically', async () => {
      const store = s();
      const first = await seedDocument(store);
      expect([first.replaced, first.chunkRowids, first.document.status, first.document.chunkCount]).toEqual([
        false,
        [1, 2, 3],
        'pending_vectors',
        3,
      ]);
      expect(first.document).toMatchObject({
        collectionId: 'c',
        source: 'a.txt',
        mime: 'text/plain',
        title: 'a.txt',
        language: 'en',
        text: 'alpha\n\nbeta\n\ngamma',
        pages: [],
        metadata: {},
        tags: [],
        bytes: 18,
      });
      await tick();
      const second = await seedDocument(store, 'a.txt', 'delta\n\nepsilon', true);
      expect([second.replaced, second.chunkRowids, second.document.status, second.document.chunkCount]).toEqual([
        true,
        [4, 5],
        'ready',
        2,
      ]);
      expect(second.document.createdAt).toBe(first.document.createdAt);
      expect(second.document.updatedAt > first.document.updatedAt).toBe(true);
      expect((await store.chunks.byDocument(first.document.id)).map((c) => [c.rowid, c.text])).toEqual([
        [4, 'delta'],
        [5, 'epsilon'],
      ]);
      expect(await store.vectors.count('c', 'm')).toBe(2);
      expect(await store.documents.get(first.document.id)).toEqual(second.document);
    });

    it('write keeps pages, metadata, tags and status as given', async () => {
      const { doc, chunks } = makeDocument('c', 'p.pdf', 'one\n\ntwo');
      const result = await s().documents.write(
        {
          ...doc,
          mime: 'application/pdf',
          pages: [{ page: 1, start: 0, end: 3 }],
          metadata: { author: 'Ann', n: 2 },
          tags: ['x', 'y'],
          status: 'failed',
          language: null,
        },
        chunks.map((chunk) => ({ ...chunk, page: 1, headings: ['H1', 'H2'], metadata: { k: [1, 2] }, tokenCount: 7 })),
      );
      expect(result.document).toMatchObject({
        mime: 'application/pdf',
        pages: [{ page: 1, start: 0, end: 3 }],
        metadata: { author: 'Ann', n: 2 },
        tags: ['x', 'y'],
        status: 'failed',
        language: null,
      });
      const [chunk] = await s().chunks.byDocument(doc.id);
      expect(chunk).toEqual({
        id: chunks[0]?.id,
        rowid: 1,
        documentId: doc.id,
        collectionId: 'c',
        ordinal: 0,
        text: 'one',
        start: 0,
        end: 3,
        page: 1,
        headings: ['H1', 'H2'],
        tokenCount: 7,
        metadata: { k: [1, 2] },
      });
    });

    it('write rolls back whole on a vector count or dimension mismatch', async () => {
      const store = s();
      const { doc, chunks } = makeDocument('c', 'a.txt', 'alpha\n\nbeta');
      expect(await codeOf(store.documents.write(doc, chunks, { modelId: 'm', dimensions: 3, vectors: unitVectors(1) }))).toBe(
        'VALIDATION',
      );
      expect(await codeOf(store.documents.write(doc, chunks, { modelId: 'm', dimensions: 4, vectors: unitVectors(2) }))).toBe(
        'DIMENSION_MISMATCH',
      );
      expect([await store.documents.get(doc.id), await store.chunks.count('c'), await store.vectors.count('c')]).toEqual([
        null,
        0,
        0,
      ]);
    });

    it('get, findBySource, list with filters, sources, headers, setStatus, count and remove', async () => {
      const store = s();
      const a = (await seedDocument(store, 'dir/a_1.txt', 'alpha')).document;
      const b = (await seedDocument(store, 'dir/ab.txt', 'beta', true)).document;
      const c = (await seedDocument(store, 'other%.txt', 'gamma\n\ndelta')).document;
      expect(await store.documents.findBySource('c', 'dir/ab.txt')).toEqual(b);
      expect(await store.documents.findBySource('c', 'nope')).toBeNull();
      expect(await store.documents.get('nope')).toBeNull();
      const sources = (o: object) =>
        store.documents.list({ collectionId: 'c', ...o }).then((r) => [r.documents.map((d) => d.source), r.total]);
      expect(await sources({})).toEqual([['dir/a_1.txt', 'dir/ab.txt', 'other%.txt'], 3]);
      expect(await sources({ limit: 1, offset: 1 })).toEqual([['dir/ab.txt'], 3]);
      expect(await sources({ status: 'ready' })).toEqual([['dir/ab.txt'], 1]);
      expect(await sources({ mime: 'text/html' })).toEqual([[], 0]);
      expect(await sources({ sourcePrefix: 'dir/a_' })).toEqual([['dir/a_1.txt'], 1]);
      expect(await sources({ sourcePrefix: 'other%' })).toEqual([['other%.txt'], 1]);
      expect(await store.documents.sources('c')).toEqual(
        new Map([
          ['dir/a_1.txt', a.contentHash],
          ['dir/ab.txt', b.contentHash],
          ['other%.txt', c.contentHash],
        ]),
      );
      expect([...(await store.documents.headers([c.id, 'nope', a.id])).entries()]).toEqual([
        [c.id, { source: 'other%.txt', title: 'other%.txt', chunkCount: 2 }],
        [a.id, { source: 'dir/a_1.txt', title: 'dir/a_1.txt', chunkCount: 1 }],
      ]);
      await store.documents.setStatus(a.id, 'ready');
      expect((await store.documents.get(a.id))?.status).toBe('ready');
      expect(await store.documents.count('c')).toBe(3);
      expect([await store.documents.remove(c.id), await store.documents.remove(c.id)]).toEqual([true, false]);
      expect([await store.documents.count('c'), await store.chunks.count('c'), await store.chunks.getMany([3, 4])]).toEqual([
        2,
        2,
        [],
      ]);
    });
  });
}

function registerChunkCases(s: () => StoreContract): void {
  describe('chunks and vectors', () => {
    beforeEach(async () => {
      await s().collections.create({ name: 'c' });
    });

    it('byDocument, get, getMany in the order asked, neighbours, count and pendingForModel', async () => {
      const store = s();
      const { document } = await seedDocument(store, 'a.txt', 'alpha\n\nbeta\n\ngamma\n\ndelta');
      const all = await store.chunks.byDocument(document.id);
      expect(all.map((c) => [c.rowid, c.ordinal, c.text, c.start, c.end])).toEqual([
        [1, 0, 'alpha', 0, 5],
        [2, 1, 'beta', 7, 11],
        [3, 2, 'gamma', 13, 18],
        [4, 3, 'delta', 20, 25],
      ]);
      expect(await store.chunks.get(all[1]?.id as string)).toEqual(all[1]);
      expect(await store.chunks.get('nope')).toBeNull();
      expect((await store.chunks.getMany([3, 99, 1])).map((c) => c.rowid)).toEqual([3, 1]);
      expect(await store.chunks.getMany([])).toEqual([]);
      expect((await store.chunks.neighbours(document.id, 1, 2)).map((c) => c.text)).toEqual(['beta', 'gamma']);
      expect([await store.chunks.count('c'), await store.chunks.count('other')]).toEqual([4, 0]);
      await store.vectors.put('c', 'm', [{ rowid: 2, vector: new Float32Array([0.1, 0.2, 0.3]) }]);
      expect((await store.chunks.pendingForModel('c', 'm')).map((c) => c.rowid)).toEqual([1, 3, 4]);
      expect((await store.chunks.pendingForModel('c', 'm', 2)).map((c) => c.rowid)).toEqual([1, 3]);
    });

    it('vectors: put (replacing), get bit for bit, getMany, iterate, count and models', async () => {
      const store = s();
      await seedDocument(store, 'a.txt', 'alpha\n\nbeta\n\ngamma', true);
      const v = new Float32Array([0.1, -2.5e-7, 1 / 3]);
      await store.vectors.put('c', 'm', [{ rowid: 1, vector: v }]);
      await store.vectors.put('c', 'big', [
        { rowid: 1, vector: new Float32Array([1, 2, 3, 4]) },
        { rowid: 3, vector: new Float32Array([5, 6, 7, 8]) },
      ]);
      expect(Array.from((await store.vectors.get(1, 'm')) ?? [])).toEqual(Array.from(v));
      expect(await store.vectors.get(1, 'none')).toBeNull();
      const many = await store.vectors.getMany([3, 2, 9], 'm');
      expect([...many.entries()].map(([k, x]) => [k, Array.from(x)]).sort()).toEqual([
        [2, [0, 1, 0]],
        [3, [0, 0, 1]],
      ]);
      const iterated = [...(await store.vectors.iterate('c', 'big'))].map((x) => [x.rowid, Array.from(x.vector)]);
      expect(iterated).toEqual([
        [1, [1, 2, 3, 4]],
        [3, [5, 6, 7, 8]],
      ]);
      expect([await store.vectors.count('c'), await store.vectors.count('c', 'big'), await store.vectors.count('x')]).toEqual([
        5, 2, 0,
      ]);
      const models = (await store.vectors.models('c')).sort((x, y) => x.modelId.localeCompare(y.modelId));
      expect(models).toEqual([
        { modelId: 'big', dimensions: 4, count: 2 },
        { modelId: 'm', dimensions: 3, count: 3 },
      ]);
      expect(await store.vectors.models('x')).toEqual([]);
    });
  });
}
