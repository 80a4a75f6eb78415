import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { type AnswerDeps, answer } from '../../generation/index.ts';
import type { Generator } from '../../models/types.ts';
import { search, sqliteSearchDeps } from '../../retrieval/index.ts';
import { sqliteDeps } from '../../store/index.ts';
import { fixture } from '../indexer/helpers.ts';
import { createScriptedGenerator, tokens } from './helpers.ts';
import { createTablesHarness, FRUIT_CSV, ingestText, type TablesHarness } from './sql-helpers.ts';

let h: TablesHarness;
afterEach(() => h?.cleanup());

function deps(generator: Generator | null): AnswerDeps {
  const searchDeps = {
    ...sqliteSearchDeps({ store: h.store, ann: { get: async () => null } }),
    config: h.config,
    embedder: null,
    reranker: null,
  };
  return {
    ...sqliteDeps(h.store),
    config: h.config,
    generator,
    search: (request) => search(searchDeps, request),
    logger: silentLogger,
  };
}

describe('table questions without a generator', () => {
  it('answers "What is the price of bananas?" with the row’s cell, cited to the row', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'md-pipe-table.md': fixture('md-pipe-table.md') });
    const result = await answer(deps(null), { collection: 'shop', question: 'What is the price of bananas?', persist: false });
    expect(result.answer).toBe('Price of Bananas: 1.89 [1]');
    expect(result.mode).toBe('extractive');
    expect(result.citations.map((c) => [c.marker, c.source, c.quote])).toEqual([[1, 'md-pipe-table.md', 'Bananas | 1.89 | 6']]);
    expect(result.table?.sourceRows).toEqual([{ table: 'md_pipe_table', row: 4, chunkId: result.citations[0]?.chunkId }]);
    expect(result.notes).toContain(
      'Answered from table md_pipe_table, row 4. Without a generator, computed questions need SQL: POST /v1/collections/shop/sql or `cairn sql`.',
    );
  });

  it('answers "how many … in stock" from the stock column of the named row', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const result = await answer(deps(null), { collection: 'shop', question: 'How many cherries are in stock?', persist: false });
    expect(result.answer).toBe('In stock of Cherries: 120 [1]');
    expect(result.citations[0]?.quote).toBe('Item: Cherries | Price: 4.5 | In stock: 120');
  });
});

const WRONG = {
  table: 'fruit',
  select: [{ column: 'amount', aggregate: 'none' }],
  where: [],
  groupBy: [],
  orderBy: [],
  limit: 5,
};
const RIGHT = {
  table: 'fruit',
  select: [
    { column: 'item', aggregate: 'none' },
    { column: 'price', aggregate: 'none' },
  ],
  where: [],
  groupBy: [],
  orderBy: [{ column: 'price', aggregate: 'none', direction: 'desc' }],
  limit: 1,
};

describe('table questions with a generator (scripted)', () => {
  it('routes to SQL in the tables’ grammar, retries after an error, cites the result and gates its sentences', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV, 'other.csv': 'Region,Amount\nNorth,10\n' });
    const gen = createScriptedGenerator([
      { complete: { route: 'sql' } },
      { complete: WRONG },
      { complete: RIGHT },
      { stream: tokens('Cherries cost the most, at 4.5 [1]. Cherries are grown in Spain [1].') },
      { complete: { support: ['full', 'none'] } },
      { complete: { usefulness: 5 } },
    ]);
    const question = 'Which fruit costs the most?';
    const result = await answer(deps(gen.generator), { collection: 'shop', question, persist: false });
    expect(gen.remaining()).toBe(0);
    // The grammar: the schema's enums are the collection's tables and columns.
    const schema = gen.calls[1]?.schema as {
      properties: { table: unknown; select: { items: { properties: { column: unknown } } } };
    };
    expect(schema.properties.table).toEqual({ enum: ['fruit', 'other'] });
    expect(schema.properties.select.items.properties.column).toEqual({
      enum: ['*', 'item', 'price', 'in_stock', 'region', 'amount'],
    });
    // The retry saw the failed query and its error.
    expect(gen.calls[2]?.request.messages.slice(-2)).toEqual([
      { role: 'assistant', content: JSON.stringify(WRONG) },
      {
        role: 'user',
        content:
          'That query failed: column amount is not in this table (its columns: item, price, in_stock)\nWrite a corrected query.',
      },
    ]);
    expect(result.table).toEqual({
      route: 'sql',
      sql: 'SELECT _row, item, price FROM fruit ORDER BY price DESC LIMIT 1',
      columns: ['_row', 'item', 'price'],
      rows: [[4, 'Cherries', 4.5]],
      truncated: false,
      tables: [{ name: 'fruit', source: 'fruit.csv', sheet: null, page: null }],
      sourceRows: [{ table: 'fruit', row: 4, chunkId: expect.stringMatching(/.+/) }],
      error: null,
    });
    // The gate graded each sentence against the result rows and removed the unsupported one.
    expect(result.decision).toBe('revised');
    expect(result.answer).toBe('Cherries cost the most, at 4.5 [1].');
    expect(result.citations.map((c) => [c.marker, c.title])).toEqual([[1, 'SQL over fruit']]);
    const generated = gen.calls[3]?.request.messages.map((m) => m.content).join('\n') ?? '';
    expect(generated).toContain('| _row | item | price |\n|---|---|---|\n| 4 | Cherries | 4.5 |');
  });

  it('routes to both: the passages keep their markers and the SQL result follows them', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const gen = createScriptedGenerator([
      { complete: { route: 'both' } },
      { complete: { relevant: [true] } },
      { complete: RIGHT },
      { stream: tokens('Bananas cost 1.89 [1]. Cherries cost the most [2].') },
      { complete: { support: ['full', 'full'] } },
      { complete: { usefulness: 5 } },
    ]);
    const result = await answer(deps(gen.generator), { collection: 'shop', question: 'bananas price', persist: false, k: 1 });
    expect(result.passages.map((p) => [p.marker, p.passage.title])).toEqual([
      [1, 'fruit.csv'],
      [2, 'SQL over fruit'],
    ]);
    expect(result.table?.route).toBe('both');
    expect(result.citations.map((c) => [c.marker, c.quote])).toEqual([
      [1, 'Item: Bananas | Price: 1.89 | In stock: 6'],
      [2, expect.stringContaining('| 4 | Cherries | 4.5 |')],
    ]);
  });

  it('answers from the passages, and says so, when the SQL fails twice', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const gen = createScriptedGenerator([
      { complete: { route: 'sql' } },
      { complete: WRONG },
      { complete: WRONG },
      { complete: { relevant: [true] } },
      { stream: tokens('Bananas cost 1.89 [1].') },
      { complete: { support: ['full'] } },
      { complete: { usefulness: 5 } },
    ]);
    const result = await answer(deps(gen.generator), { collection: 'shop', question: 'bananas price', persist: false, k: 1 });
    expect(result.answer).toBe('Bananas cost 1.89 [1].');
    expect(result.table?.error).toBe('column amount is not in this table (its columns: item, price, in_stock)');
    expect(result.notes).toContain(
      'The SQL query failed twice (column amount is not in this table (its columns: item, price, in_stock)); the answer uses the passages.',
    );
  });

  it('routes to passages when the generator says so, and skips SQL', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const gen = createScriptedGenerator([
      { complete: { route: 'passages' } },
      { complete: { relevant: [true] } },
      { stream: tokens('Bananas cost 1.89 [1].') },
      { complete: { support: ['full'] } },
      { complete: { usefulness: 5 } },
    ]);
    const result = await answer(deps(gen.generator), { collection: 'shop', question: 'bananas price', persist: false, k: 1 });
    expect(result.table).toBeUndefined();
    expect(result.answer).toBe('Bananas cost 1.89 [1].');
  });
});
