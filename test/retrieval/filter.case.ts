import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SearchFilter } from '../../retrieval/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { addDocumentTo } from './helpers.ts';

/** An empty store of one backend and the chunk rowids a filter allows in it, as that backend decides them. */
export interface FilterStore {
  store: StoreContract;
  /** null: the filter has no conditions. */
  allowed(collectionId: string, filter: SearchFilter | undefined): Promise<Set<number> | null>;
  close(): Promise<void>;
}

export interface FilterBackend {
  kind: 'sqlite' | 'postgres';
  open(): Promise<FilterStore>;
}

/** Which chunks a filter allows, with exact values: run once per backend. */
export function resolveFilterSuite(name: string, backend: () => FilterBackend): void {
  describe(`resolveFilter: ${name}`, () => {
    let opened: FilterStore;
    const rowidsOf: Record<string, number[]> = {};

    beforeEach(async () => {
      opened = await backend().open();
      const docs = [
        {
          source: 'notes/a.md',
          mime: 'text/markdown',
          language: 'en',
          tags: ['work'],
          metadata: { year: 2021, kind: 'memo', draft: false },
        },
        {
          source: 'notes/deep/b.md',
          mime: 'text/markdown',
          language: 'de',
          tags: ['home'],
          metadata: { year: 2019, kind: 'memo' },
        },
        {
          source: 'docs/c.pdf',
          mime: 'application/pdf',
          language: 'en',
          tags: ['work', 'home'],
          metadata: { year: 2024, author: { name: 'Ann' } },
        },
      ];
      for (const doc of docs) {
        rowidsOf[doc.source] = (await addDocumentTo(opened.store, 'c', { ...doc, chunks: ['one', 'two'] })).chunkRowids;
      }
    });
    afterEach(() => opened.close());

    const sources = async (filter: SearchFilter | undefined) => {
      const allowed = await opened.allowed('c', filter);
      if (allowed === null) return null;
      return Object.entries(rowidsOf)
        .filter(([, rowids]) => rowids.every((r) => allowed.has(r)))
        .map(([s]) => s);
    };

    it('is null without conditions', async () => {
      expect(await opened.allowed('c', undefined)).toBeNull();
      expect(await opened.allowed('c', {})).toBeNull();
    });

    it('filters by document id, source glob, mime, language and tags', async () => {
      expect(await sources({ documentIds: ['c:docs/c.pdf'] })).toEqual(['docs/c.pdf']);
      expect(await sources({ source: 'notes/**' })).toEqual(['notes/a.md', 'notes/deep/b.md']);
      expect(await sources({ source: '*.pdf' })).toEqual(['docs/c.pdf']);
      expect(await sources({ mime: 'text/markdown', language: 'en' })).toEqual(['notes/a.md']);
      expect(await sources({ tags: ['home'] })).toEqual(['notes/deep/b.md', 'docs/c.pdf']);
    });

    it('filters by metadata equality, lists, nested keys and ranges', async () => {
      expect(await sources({ metadata: { kind: 'memo' } })).toEqual(['notes/a.md', 'notes/deep/b.md']);
      expect(await sources({ metadata: { draft: false } })).toEqual(['notes/a.md']);
      expect(await sources({ metadata: { year: { in: [2019, 2024] } } })).toEqual(['notes/deep/b.md', 'docs/c.pdf']);
      expect(await sources({ metadata: { year: { gte: 2020, lt: 2024 } } })).toEqual(['notes/a.md']);
      expect(await sources({ metadata: { 'author.name': 'Ann' } })).toEqual(['docs/c.pdf']);
    });

    it('filters by created and updated dates', async () => {
      const today = new Date().toISOString().slice(0, 10);
      expect(await sources({ created: { from: '2000-01-01', to: today } })).toHaveLength(3);
      expect(await sources({ updated: { to: '2000-01-01' } })).toEqual([]);
    });
  });
}
