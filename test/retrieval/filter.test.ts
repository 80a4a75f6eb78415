import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { resolveFilter, validateFilter } from '../../retrieval/index.ts';
import { createSqliteContract } from '../../store/index.ts';
import { resolveFilterSuite } from './filter.case.ts';
import { createTestStore } from './helpers.ts';

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

resolveFilterSuite('sqlite', () => ({
  kind: 'sqlite',
  open: async () => {
    const store = createTestStore();
    return {
      store: createSqliteContract(store),
      allowed: async (collectionId, filter) => resolveFilter(store, collectionId, filter),
      close: async () => store.close(),
    };
  },
}));
