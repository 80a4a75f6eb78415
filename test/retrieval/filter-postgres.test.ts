import { expect, it } from 'vitest';
import { filterCondition, SqlParams } from '../../retrieval/postgres/index.ts';
import { resolveFilterSuite } from './filter.case.ts';
import { addDocumentTo } from './helpers.ts';
import { usePostgresBackend } from './postgres-backend.ts';
import { describePostgres } from './postgres-fixtures.ts';

describePostgres('filters on PostgreSQL', () => {
  const backend = usePostgresBackend('cairn_filter');
  // PostgreSQL resolves no rowid set up front: the filter is one SQL condition inside each search
  // query, so the rowids it allows are those that condition selects.
  resolveFilterSuite('postgres', () => ({
    kind: 'postgres',
    open: async () => {
      const { store, close } = await backend.open();
      return {
        store,
        close,
        async allowed(collectionId, filter) {
          const p = new SqlParams([collectionId]);
          const condition = filterCondition(filter, 'c.rowid', p);
          if (condition === null) return null;
          const { rows } = await backend
            .pool()
            .query<{ rowid: number }>(`SELECT c.rowid FROM chunks c WHERE c.collection_id = $1 AND ${condition}`, p.values);
          return new Set(rows.map((r) => r.rowid));
        },
      };
    },
  }));

  it("the retrievers' resolveFilter: null without a filter or when a chunk matches, the empty set when none does", async () => {
    const { store, retrievers } = await backend.open();
    await addDocumentTo(store, 'c', { source: 'a.md', tags: ['x'], chunks: ['one'] });
    await addDocumentTo(store, 'd', { source: 'b.md', tags: ['y'], chunks: ['two'] });
    const seen = [];
    for (const filter of [undefined, {}, { tags: ['x'] }, { tags: ['y'] }, { source: '*.md', language: 'de' }])
      seen.push(await retrievers.resolveFilter('c', filter));
    expect(seen).toEqual([null, null, null, new Set(), new Set()]);
  });
});
