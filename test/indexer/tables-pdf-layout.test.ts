import { describe, expect, it } from 'vitest';
import { loadWithTables } from '../../indexer/tables/index.ts';
import { layoutTables, type PlacedText } from '../../indexer/tables/pdf-layout.ts';
import { fixture, testConfig } from './helpers.ts';

const config = testConfig();

async function tablesOf(name: string) {
  const loaded = await loadWithTables({ source: `/docs/${name}`, name, data: fixture(name), metadata: {} }, { config });
  return { text: loaded.result.documents[0]?.text ?? '', entry: loaded.tables.get('') };
}

/** Words on a line at `y`, each at its x (10-point text, a character 5 points wide). */
function line(y: number, words: [number, string][]): PlacedText[] {
  return words.map(([x, str]) => ({ str, x, y, width: str.length * 5, height: 10 }));
}

describe('PDF tables found from word positions', () => {
  it('reads the booktabs table on page 3 of the LaTeX paper with its header, values, types and rows', async () => {
    const { text, entry } = await tablesOf('pdf-latex-twocolumn-table.pdf');
    const [table, ...others] = entry?.tables ?? [];
    expect(others).toEqual([]);
    expect(table?.page).toBe(3);
    expect(table?.title).toBe('pdf-latex-twocolumn-table.pdf — page 3');
    expect(table?.columns).toEqual([
      { name: 'country', label: 'Country', type: 'text' },
      { name: 'population_millions', label: 'Population (millions)', type: 'real' },
      { name: 'area_km2', label: 'Area (km2)', type: 'integer' },
      { name: 'capital', label: 'Capital', type: 'text' },
      { name: 'official_language', label: 'Official Language', type: 'text' },
    ]);
    expect(table?.rows).toEqual([
      { values: ['Austria', 8.9, 83879, 'Vienna', 'German'], row: 1 },
      { values: ['Belgium', 11.5, 30689, 'Brussels', 'Dutch, French, German'], row: 2 },
      { values: ['Czech Republic', 10.7, 78866, 'Prague', 'Czech'], row: 3 },
      { values: ['Denmark', 5.8, 42951, 'Copenhagen', 'Danish'], row: 4 },
      { values: ['Finland', 5.5, 338424, 'Helsinki', 'Finnish, Swedish'], row: 5 },
    ]);
    const passages = entry?.passages ?? [];
    expect(passages.map((p) => [p.row, p.page, p.table])).toEqual([
      [1, 3, 0],
      [2, 3, 0],
      [3, 3, 0],
      [4, 3, 0],
      [5, 3, 0],
    ]);
    for (const p of passages) expect(text.slice(p.start, p.end)).toBe(p.text);
    expect(passages[0]?.text.startsWith('Austria')).toBe(true);
    expect(passages[0]?.search).toBe(
      'Country: Austria | Population (millions): 8.9 | Area (km2): 83879 | Capital: Vienna | Official Language: German',
    );
  });

  it('reads the two Korean tables side by side, with Hangul headers and wrapped cells joined', async () => {
    const { entry } = await tablesOf('pdf-korean-tables.pdf');
    expect(entry?.tables.map((t) => ({ page: t.page, columns: t.columns, rows: t.rows }))).toEqual([
      {
        page: 1,
        columns: [
          { name: 'column_1', label: '업종', type: 'text' },
          { name: 'column_2', label: '적립 대상', type: 'text' },
        ],
        rows: [
          { values: ['할인점', '이마트, 이마트 트레이더스, 롯데마트, 홈플러스'], row: 1 },
          { values: ['주유', '모든 주유소'], row: 2 },
          { values: ['온라인쇼핑몰', '삼성카드 쇼핑, G마켓, 옥션, 11번가, 인터파크, 쿠팡, 티몬, 위메프'], row: 3 },
        ],
      },
      {
        page: 1,
        columns: [
          { name: 'column_1', label: '업종', type: 'text' },
          { name: 'column_2', label: '적립 대상', type: 'text' },
        ],
        rows: [
          {
            values: [
              '커피전문점',
              '스타벅스, 투썸플레이스, 카페베네, 탐앤탐스, 커피빈, 엔제리너스, 할리스커피, 파스쿠찌, 아티제, 폴 바셋',
            ],
            row: 1,
          },
          { values: ['제과점', '파리바게뜨, 뚜레쥬르'], row: 2 },
          { values: ['편의점', 'CU, GS25, 세븐일레븐, 미니스톱'], row: 3 },
        ],
      },
    ]);
  });

  it('finds no table in the two-column prose of the DPR paper', async () => {
    const { entry } = await tablesOf('pdf-academic-two-column-dpr.pdf');
    expect(entry).toBeUndefined();
  });

  it('takes the first row as the header only when it reads as one', () => {
    const numbers = [
      ...line(100, [
        [50, '2021'],
        [150, '12'],
        [250, '7'],
      ]),
      ...line(115, [
        [50, '2022'],
        [150, '15'],
        [250, '9'],
      ]),
      ...line(130, [
        [50, '2023'],
        [150, '18'],
        [250, '11'],
      ]),
    ];
    expect(layoutTables(numbers)).toEqual([
      {
        header: null,
        rows: [
          ['2021', '12', '7'],
          ['2022', '15', '9'],
          ['2023', '18', '11'],
        ],
      },
    ]);
    const withHeader = [
      ...line(85, [
        [50, 'Year'],
        [150, 'Sold'],
        [250, 'Lost'],
      ]),
      ...numbers,
    ];
    expect(layoutTables(withHeader)[0]?.header).toEqual(['Year', 'Sold', 'Lost']);
  });

  it('does not take three lines of long cells without numbers for a table', () => {
    const prose = 'the retriever scores every passage in the corpus';
    const items = [100, 115, 130].flatMap((y) =>
      line(y, [
        [0, prose],
        [260, prose],
        [520, prose],
      ]),
    );
    expect(layoutTables(items)).toEqual([]);
  });
});
