import { describe, expect, it } from 'vitest';
import { cleanColumnNames, inferType, loadWithTables, parseDate, parseNumber, typeTable } from '../../indexer/tables/index.ts';
import { pdfTablesFromPages } from '../../indexer/tables/pdf.ts';
import { buildXlsx } from '../fixtures/tables/xlsx.ts';
import { fixture, testConfig } from './helpers.ts';

const config = testConfig();

async function tablesOf(name: string, data: Uint8Array = fixture(name)) {
  const loaded = await loadWithTables({ source: `/docs/${name}`, name, data, metadata: {} }, { config });
  return { loaded, entry: loaded.tables.get('') };
}

describe('type inference and column names', () => {
  it('infers integer, real, date and text, with currency and thousands separators', () => {
    expect(inferType(['1', '2', '', null])).toBe('integer');
    expect(inferType(['1', '2.5'])).toBe('real');
    expect(inferType(['$1,200', '€3.50'])).toBe('real');
    expect(inferType(['2024-01-05', '2024/2/10'])).toBe('date');
    expect(inferType(['2024-01-05', 'soon'])).toBe('text');
    expect(inferType(['03/04/2024'])).toBe('text');
    expect(parseNumber('1,234')).toBe(1234);
    expect(parseNumber('$ 12.50')).toBe(12.5);
    expect(parseNumber('12abc')).toBeNull();
    expect(parseDate('2024/2/10')).toBe('2024-02-10');
    expect(parseDate('2024-02-30')).toBeNull();
  });

  it('cleans headers into unique, unreserved SQL names', () => {
    expect(cleanColumnNames(['# In stock', 'Price (€)', 'Price €', 'order', '2023', '', 'Café', '_row'])).toEqual([
      'number_in_stock',
      'price',
      'price_2',
      'order_',
      'c_2023',
      'column_6',
      'cafe',
      'row_',
    ]);
  });

  it('pads short rows and converts values to their column type', () => {
    const table = typeTable({
      origin: 'csv',
      title: 't',
      header: ['a', 'b'],
      rows: [
        { cells: ['1'], row: 2 },
        { cells: ['2', 'x', 'extra'], row: 3 },
      ],
    });
    expect(table.rows).toEqual([
      { values: [1, null], row: 2 },
      { values: [2, 'x'], row: 3 },
    ]);
  });
});

describe('tables found in the eval documents', () => {
  it('Markdown pipe table: typed columns, rows numbered by their line, passages on the row text', async () => {
    const { entry, loaded } = await tablesOf('md-pipe-table.md');
    expect(entry?.tables.map((t) => t.columns)).toEqual([
      [
        { name: 'item', label: 'Item', type: 'text' },
        { name: 'price', label: 'Price', type: 'real' },
        { name: 'number_in_stock', label: '# In stock', type: 'integer' },
      ],
    ]);
    expect(entry?.tables[0]?.rows).toEqual([
      { values: ['Juicy Apples', 1.99, 739], row: 3 },
      { values: ['Bananas', 1.89, 6], row: 4 },
    ]);
    const bananas = entry?.passages[1];
    expect([bananas?.text, bananas?.search]).toEqual(['Bananas | 1.89 | 6', 'Item: Bananas | Price: 1.89 | # In stock: 6']);
    const text = loaded.result.documents[0]?.text ?? '';
    expect(text.slice(bananas?.start, bananas?.end)).toBe(bananas?.text);
  });

  it('DOCX table: the first row is the header', async () => {
    const { entry } = await tablesOf('docx-table.docx');
    expect(entry?.tables.map((t) => ({ origin: t.origin, columns: t.columns.map((c) => c.name), rows: t.rows }))).toEqual([
      { origin: 'docx', columns: ['top_left', 'top_right'], rows: [{ values: ['Bottom left', 'Bottom right'], row: 1 }] },
    ]);
  });

  it('HTML page: its tables with text columns and row numbers', async () => {
    const { entry } = await tablesOf('html-sec-10k-page.html');
    expect(entry?.tables.length).toBe(3);
    const classes = entry?.tables[1];
    expect(classes?.columns.map((c) => c.name)).toEqual([
      'title_of_each_class',
      'column_2',
      'trading_symbol',
      'column_4',
      'name_of_exchange_on_which_registered',
    ]);
    expect(classes?.rows[0]?.values.slice(0, 3)).toEqual(['Common stock', null, 'GLXZ']);
    expect(classes?.rows[0]?.row).toBe(1);
  });

  it('PDF: the Korean sample has no ruled table (its two come from the layout pass), and found tables keep their page', async () => {
    const { entry } = await tablesOf('pdf-korean-tables.pdf');
    expect(entry?.tables.map((t) => [t.page, t.columns.length, t.rows.length])).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    const tables = pdfTablesFromPages(
      [
        { num: 1, tables: [[], [['Only header', 'x']]] },
        {
          num: 2,
          tables: [
            [
              ['Name', 'Qty'],
              ['Bolt', ' 12 '],
            ],
          ],
        },
      ],
      'parts.pdf',
    ).map(typeTable);
    expect(tables.map((t) => ({ page: t.page, title: t.title, columns: t.columns, rows: t.rows }))).toEqual([
      {
        page: 2,
        title: 'parts.pdf — page 2',
        columns: [
          { name: 'name', label: 'Name', type: 'text' },
          { name: 'qty', label: 'Qty', type: 'integer' },
        ],
        rows: [{ values: ['Bolt', 12], row: 1 }],
      },
    ]);
  });
});

describe('table files', () => {
  it('CSV: one table, quoted fields, rows numbered by their line, a line per row as the text', async () => {
    const csv = 'Region,"Amount, USD",Day\nNorth,"1,200.50",2024-01-05\n"South\nEast",300,2024-02-10\n';
    const { entry, loaded } = await tablesOf('sales.csv', new TextEncoder().encode(csv));
    const table = entry?.tables[0];
    expect(table?.columns.map((c) => [c.name, c.type])).toEqual([
      ['region', 'text'],
      ['amount_usd', 'real'],
      ['day', 'date'],
    ]);
    expect(table?.rows).toEqual([
      { values: ['North', 1200.5, '2024-01-05'], row: 2 },
      { values: ['South\nEast', 300, '2024-02-10'], row: 3 },
    ]);
    expect(entry?.onlyTables).toBe(true);
    expect(loaded.result.documents[0]?.text).toBe(
      'Region: North | Amount, USD: 1200.5 | Day: 2024-01-05\nRegion: South\nEast | Amount, USD: 300 | Day: 2024-02-10\n',
    );
  });

  it('TSV by its name', async () => {
    const { entry } = await tablesOf('a.tsv', new TextEncoder().encode('x\ty\n1\t2\n'));
    expect(entry?.tables[0]?.origin).toBe('tsv');
    expect(entry?.tables[0]?.rows).toEqual([{ values: [1, 2], row: 2 }]);
  });

  it('XLSX: a table per sheet, title rows skipped, dates as ISO, sheet row numbers', async () => {
    const data = buildXlsx([
      {
        name: 'Q1',
        rows: [
          ['Sales report', null],
          ['Region', 'Amount', 'Day'],
          ['North', 1200.5, { date: '2024-01-05' }],
          ['South', 300, { date: '2024-02-10' }],
        ],
      },
      { name: 'Empty', rows: [['only']] },
    ]);
    const { entry, loaded } = await tablesOf('sales.xlsx', data);
    expect(entry?.tables.map((t) => ({ sheet: t.sheet, columns: t.columns.map((c) => c.type), rows: t.rows }))).toEqual([
      {
        sheet: 'Q1',
        columns: ['text', 'real', 'date'],
        rows: [
          { values: ['North', 1200.5, '2024-01-05'], row: 3 },
          { values: ['South', 300, '2024-02-10'], row: 4 },
        ],
      },
    ]);
    expect(loaded.result.documents[0]?.text).toBe(
      '## Q1\nRegion: North | Amount: 1200.5 | Day: 2024-01-05\nRegion: South | Amount: 300 | Day: 2024-02-10\n',
    );
  });

  it('flat JSONL records without a text field are a table, not failures', async () => {
    const jsonl = '{"sku":"A1","qty":3,"price":2.5}\n{"sku":"B2","qty":7}\n';
    const { entry, loaded } = await tablesOf('stock.jsonl', new TextEncoder().encode(jsonl));
    expect(loaded.result.failures).toEqual([]);
    expect(entry?.tables[0]?.columns.map((c) => [c.name, c.type])).toEqual([
      ['sku', 'text'],
      ['qty', 'integer'],
      ['price', 'real'],
    ]);
    expect(entry?.tables[0]?.rows).toEqual([
      { values: ['A1', 3, 2.5], row: 1 },
      { values: ['B2', 7, null], row: 2 },
    ]);
  });
});
