import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { resolveFilter, validateFilter } from '../../retrieval/index.ts';
import type { Store } from '../../store/index.ts';
import { addDocument, createTestStore } from './helpers.ts';

function codeOf(fn: () => unknown): { code: string; field: unknown } | null {
  try {
    fn();
    return null;
  } catch (error) {
    return isCairnError(error) ? { code: error.code, field: error.details?.field } : { code: 'other', field: null };
  }
}

describe('validateFilter', () => {
  it('rejects an unknown field with VALIDATION naming it', () => {
    expect(codeOf(() => validateFilter({ colour: 'red' }))).toEqual({ code: 'VALIDATION', field: 'colour' });
    expect(codeOf(() => validateFilter({ created: { since: '2024-01-01' } }))).toEqual({
      code: 'VALIDATION',
      field: 'created.since',
    });
    expect(codeOf(() => validateFilter({ metadata: { year: { between: [1, 2] } } }))).toEqual({
      code: 'VALIDATION',
      field: 'metadata.year.between',
    });
  });

  it('rejects values of the wrong shape', () => {
    expect(codeOf(() => validateFilter({ mime: 3 }))?.code).toBe('VALIDATION');
    expect(codeOf(() => validateFilter({ source: ['a'] }))?.code).toBe('VALIDATION');
    expect(codeOf(() => validateFilter({ created: { from: 'not a date' } }))?.code).toBe('VALIDATION');
    expect(codeOf(() => validateFilter('mime=x'))?.code).toBe('VALIDATION');
    expect(codeOf(() => validateFilter({ metadata: { year: {} } }))?.code).toBe('VALIDATION');
  });

  it('accepts every known field', () => {
    const filter = {
      documentIds: ['a'],
      source: '**/*.md',
      mime: ['text/markdown'],
      language: 'en',
      tags: ['x'],
      metadata: { year: { gte: 2020 }, kind: 'memo', n: { in: [1, 2] } },
      created: { from: '2024-01-01' },
      updated: { to: '2030-01-01' },
    };
    expect(validateFilter(filter)).toEqual(filter);
    expect(validateFilter(undefined)).toEqual({});
  });
});

describe('resolveFilter', () => {
  let store: Store;
  const rowidsOf: Record<string, number[]> = {};

  beforeEach(() => {
    store = createTestStore();
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
      rowidsOf[doc.source] = addDocument(store, 'c', { ...doc, chunks: ['one', 'two'] }).chunkRowids;
    }
  });
  afterEach(() => store.close());

  const sources = (filter: Parameters<typeof resolveFilter>[2]) => {
    const allowed = resolveFilter(store, 'c', filter);
    if (allowed === null) return null;
    return Object.entries(rowidsOf)
      .filter(([, rowids]) => rowids.every((r) => allowed.has(r)))
      .map(([s]) => s);
  };

  it('is null without conditions', () => {
    expect(resolveFilter(store, 'c', undefined)).toBeNull();
    expect(resolveFilter(store, 'c', {})).toBeNull();
  });

  it('filters by document id, source glob, mime, language and tags', () => {
    expect(sources({ documentIds: ['c:docs/c.pdf'] })).toEqual(['docs/c.pdf']);
    expect(sources({ source: 'notes/**' })).toEqual(['notes/a.md', 'notes/deep/b.md']);
    expect(sources({ source: '*.pdf' })).toEqual(['docs/c.pdf']);
    expect(sources({ mime: 'text/markdown', language: 'en' })).toEqual(['notes/a.md']);
    expect(sources({ tags: ['home'] })).toEqual(['notes/deep/b.md', 'docs/c.pdf']);
  });

  it('filters by metadata equality, lists, nested keys and ranges', () => {
    expect(sources({ metadata: { kind: 'memo' } })).toEqual(['notes/a.md', 'notes/deep/b.md']);
    expect(sources({ metadata: { draft: false } })).toEqual(['notes/a.md']);
    expect(sources({ metadata: { year: { in: [2019, 2024] } } })).toEqual(['notes/deep/b.md', 'docs/c.pdf']);
    expect(sources({ metadata: { year: { gte: 2020, lt: 2024 } } })).toEqual(['notes/a.md']);
    expect(sources({ metadata: { 'author.name': 'Ann' } })).toEqual(['docs/c.pdf']);
  });

  it('filters by created and updated dates', () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(sources({ created: { from: '2000-01-01', to: today } })).toHaveLength(3);
    expect(sources({ updated: { to: '2000-01-01' } })).toEqual([]);
  });
});
