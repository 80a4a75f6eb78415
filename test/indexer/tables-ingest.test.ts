import { afterEach, describe, expect, it } from 'vitest';
import { ingest } from '../../indexer/index.ts';
import { search, sqliteSearchDeps } from '../../retrieval/index.ts';
import { buildXlsx } from '../fixtures/tables/xlsx.ts';
import { createHarness, fixture, type Harness, ingestDeps } from './helpers.ts';

let harness: Harness;
afterEach(() => harness?.cleanup());

const encode = (text: string) => new TextEncoder().encode(text);

describe('tables stored as SQL with provenance', () => {
  it('stores a CSV as a typed SQL table with its catalog entry and row numbers', async () => {
    harness = createHarness();
    const csv = 'Product,Price,Sold on\nBananas,1.89,2024-03-01\nApples,2.5,2024-03-02\n';
    await ingest(ingestDeps(harness), { collection: 'shop', sources: [{ kind: 'bytes', name: 'fruit.csv', data: encode(csv) }] });
    const collection = harness.store.collections.require('shop');
    const [table] = harness.store.tables.list(collection.id);
    expect(
      table && { ...table, sqlName: /^t_[0-9a-f]{8}_1$/.test(table.sqlName), collectionId: undefined, documentId: undefined },
    ).toEqual({
      name: 'fruit',
      sqlName: true,
      collectionId: undefined,
      documentId: undefined,
      source: expect.stringMatching(/fruit\.csv$/),
      ordinal: 0,
      title: 'fruit.csv',
      origin: 'csv',
      sheet: null,
      page: null,
      columns: [
        { name: 'product', label: 'Product', type: 'text' },
        { name: 'price', label: 'Price', type: 'real' },
        { name: 'sold_on', label: 'Sold on', type: 'date' },
      ],
      rowCount: 2,
    });
    const rows = harness.store.db.prepare(`SELECT * FROM "${table?.sqlName}" ORDER BY _row`).all();
    expect(rows).toEqual([
      { _row: 2, product: 'Bananas', price: 1.89, sold_on: '2024-03-01' },
      { _row: 3, product: 'Apples', price: 2.5, sold_on: '2024-03-02' },
    ]);
    const types = harness.store.db.prepare(`SELECT typeof(price) AS t FROM "${table?.sqlName}"`).all();
    expect(types).toEqual([{ t: 'real' }, { t: 'real' }]);
  });

  it('indexes each row as a passage (header + row) that keeps its table and row', async () => {
    harness = createHarness();
    await ingest(ingestDeps(harness), {
      collection: 'shop',
      sources: [{ kind: 'bytes', name: 'md-pipe-table.md', data: fixture('md-pipe-table.md') }],
    });
    const rows = harness.store.db
      .prepare(
        "SELECT text, search_text AS search, metadata FROM chunks WHERE json_extract(metadata, '$.table') IS NOT NULL ORDER BY ordinal",
      )
      .all();
    expect(rows).toEqual([
      {
        text: 'Juicy Apples | 1.99 | 739',
        search: 'Item: Juicy Apples | Price: 1.99 | # In stock: 739',
        metadata: '{"table":{"index":0,"row":3}}',
      },
      {
        text: 'Bananas | 1.89 | 6',
        search: 'Item: Bananas | Price: 1.89 | # In stock: 6',
        metadata: '{"table":{"index":0,"row":4}}',
      },
    ]);
    // Every chunk, row passages included, is exactly its span of the document's text.
    const doc = harness.store.documents.list({ collectionId: 'shop' }).documents[0];
    const text = doc ? (harness.store.documents.get(doc.id)?.text ?? '') : '';
    for (const chunk of harness.store.chunks.byDocument(doc?.id ?? ''))
      expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    const found = await search(
      {
        ...sqliteSearchDeps({ store: harness.store, ann: { get: async () => null } }),
        config: harness.config,
        embedder: null,
        reranker: null,
      },
      { collection: 'shop', query: 'bananas', mode: 'bm25', rerank: false },
    );
    expect(found.passages.map((p) => p.metadata.table).filter(Boolean)).toContainEqual({ index: 0, row: 4 });
  });

  it('replaces a changed document’s tables and drops a deleted document’s table', async () => {
    harness = createHarness();
    const source = { kind: 'bytes' as const, name: 'fruit.csv', source: 'fruit.csv' };
    await ingest(ingestDeps(harness), { collection: 'shop', sources: [{ ...source, data: encode('a,b\n1,2\n') }] });
    await ingest(ingestDeps(harness), { collection: 'shop', sources: [{ ...source, data: encode('a,b\n1,2\n3,4\n') }] });
    const collection = harness.store.collections.require('shop');
    const tables = harness.store.tables.list(collection.id);
    expect(tables.map((t) => [t.name, t.rowCount, t.sqlName.endsWith('_1')])).toEqual([['fruit', 2, true]]);
    const physical = () =>
      harness.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'").all();
    expect(physical()).toEqual([{ name: tables[0]?.sqlName }]);
    harness.store.documents.remove(tables[0]?.documentId ?? '');
    expect(harness.store.tables.list(collection.id)).toEqual([]);
    expect(harness.store.tables.sweep()).toBe(1);
    expect(physical()).toEqual([]);
  });
});

describe('spreadsheets and records', () => {
  it('stores each XLSX sheet as a table named by file and sheet, rows numbered as in the sheet', async () => {
    harness = createHarness();
    const data = buildXlsx([
      {
        name: 'Q1',
        rows: [
          ['Region', 'Revenue'],
          ['North', 120.5],
          ['South', 80],
        ],
      },
      {
        name: 'Q2',
        rows: [
          ['Region', 'Revenue'],
          ['North', 99],
        ],
      },
    ]);
    const summary = await ingest(ingestDeps(harness), {
      collection: 'shop',
      sources: [{ kind: 'bytes', name: 'sales.xlsx', data }],
    });
    expect(summary.failed).toEqual([]);
    const tables = harness.store.tables.list(harness.store.collections.require('shop').id);
    expect(tables.map((t) => [t.name, t.sheet, t.origin, t.rowCount])).toEqual([
      ['sales_q1', 'Q1', 'xlsx', 2],
      ['sales_q2', 'Q2', 'xlsx', 1],
    ]);
    const rows = harness.store.db.prepare(`SELECT * FROM "${tables[0]?.sqlName}" ORDER BY _row`).all();
    expect(rows).toEqual([
      { _row: 2, region: 'North', revenue: 120.5 },
      { _row: 3, region: 'South', revenue: 80 },
    ]);
  });
});
