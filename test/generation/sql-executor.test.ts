import { afterEach, describe, expect, it } from 'vitest';
import { CairnError } from '../../core/index.ts';
import { executeSelect, runSql } from '../../generation/sql/index.ts';
import { createTablesHarness, FRUIT_CSV, ingestText, numbersCsv, type TablesHarness } from './sql-helpers.ts';

let h: TablesHarness;
afterEach(() => h?.cleanup());

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('did not fail');
}

describe('read-only SQL over a collection', () => {
  it('runs a SELECT and returns columns, rows with their source row, and the tables read', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const result = await runSql(h, 'shop', 'SELECT _row, item, price FROM fruit WHERE price < 2 ORDER BY price');
    expect({ ...result, ms: typeof result.ms }).toEqual({
      sql: 'SELECT _row, item, price FROM fruit WHERE price < 2 ORDER BY price',
      columns: ['_row', 'item', 'price'],
      rows: [
        [3, 'Bananas', 1.89],
        [2, 'Juicy Apples', 1.99],
      ],
      truncated: false,
      scanned: 3,
      ms: 'number',
      tables: [{ name: 'fruit', source: 'fruit.csv', sheet: null, page: null }],
    });
  });

  it('cuts the result at the row limit and says so', async () => {
    h = createTablesHarness({ tables: { maxRows: 2 } });
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    const result = await runSql(h, 'shop', 'SELECT item FROM fruit ORDER BY item');
    expect([result.rows, result.truncated]).toEqual([[['Bananas'], ['Cherries']], true]);
  });

  it('stops a cross join at the time limit', async () => {
    h = createTablesHarness({ tables: { timeoutMs: 300, maxScannedRows: 1e12 } });
    await ingestText(h, 'nums', { 'numbers.csv': numbersCsv(2000) });
    const started = performance.now();
    const stopped = await failure(runSql(h, 'nums', 'SELECT count(*) FROM numbers a, numbers b, numbers c'));
    expect(stopped).toEqual({ code: 'SQL_TIMEOUT', message: 'the query ran past its time limit' });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('stops a query that reads more table rows than allowed', async () => {
    h = createTablesHarness({ tables: { maxScannedRows: 5000 } });
    await ingestText(h, 'nums', { 'numbers.csv': numbersCsv(2000) });
    expect(await failure(runSql(h, 'nums', 'SELECT count(*) FROM numbers a, numbers b'))).toEqual({
      code: 'SQL_TIMEOUT',
      message: 'the query read more than 5000 table rows',
    });
  });

  it('refuses before running, and the connection itself cannot write or load extensions', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    expect(await failure(runSql(h, 'shop', 'DELETE FROM fruit'))).toEqual({
      code: 'SQL_REFUSED',
      message: 'a write (DELETE) is not allowed: the SQL may only read',
    });
    const table = h.store.tables.list(h.store.collections.require('shop').id)[0]?.sqlName;
    const limits = h.config.tables;
    const write = await failure(executeSelect(`DELETE FROM "${table}"`, { file: h.store.file, limits }));
    expect(write.code).toBe('SQL_REFUSED');
    const load = await failure(executeSelect("SELECT load_extension('/nonexistent')", { file: h.store.file, limits }));
    expect(load).toEqual({ code: 'SQL_REFUSED', message: 'load_extension is not allowed' });
    expect(h.store.db.prepare(`SELECT count(*) AS n FROM "${table}"`).get()).toEqual({ n: 3 });
  });

  it('shows the error of a query that fails', async () => {
    h = createTablesHarness();
    await ingestText(h, 'shop', { 'fruit.csv': FRUIT_CSV });
    expect(await failure(runSql(h, 'shop', 'SELECT item FROM fruit GROUP BY'))).toEqual({
      code: 'SQL_FAILED',
      message: 'incomplete input',
    });
  });
});
