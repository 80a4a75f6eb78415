import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { guardSql } from '../../generation/sql/index.ts';

const tables = [
  { name: 'fruit', sqlName: 't_0123abcd_1', columns: ['item', 'price', 'number_in_stock'] },
  { name: 'sales', sqlName: 't_0123abcd_2', columns: ['region', 'amount', 'day'] },
];
const options = { tables, maxRecursion: 100 };

function refusal(sql: string): string {
  try {
    guardSql(sql, options);
  } catch (error) {
    if (isCairnError(error) && error.code === 'SQL_REFUSED') return error.message;
    throw error;
  }
  throw new Error(`not refused: ${sql}`);
}

describe('SQL guard: what may run', () => {
  it('reads each table through a counting subquery on its stored table, keeping the name as alias', () => {
    expect(guardSql('SELECT item, price FROM fruit WHERE price > 1.5 ORDER BY price DESC;', options)).toEqual({
      sql: 'SELECT item , price FROM (SELECT * FROM "t_0123abcd_1" WHERE __cairn_tick(_row)) AS "fruit" WHERE price > 1.5 ORDER BY price DESC',
      tables: ['fruit'],
    });
  });

  it('accepts joins with aliases, aggregates, CTEs, qualified columns and a bounded recursive CTE', () => {
    const join = guardSql(
      'SELECT f.item, count(*) AS n FROM fruit f JOIN sales AS s ON s.region = f.item GROUP BY f.item HAVING n > 0',
      options,
    );
    expect(join.tables).toEqual(['fruit', 'sales']);
    expect(join.sql).toContain('FROM (SELECT * FROM "t_0123abcd_1" WHERE __cairn_tick(_row)) f JOIN');
    expect(guardSql('WITH cheap AS (SELECT * FROM fruit WHERE price < 2) SELECT cheap.item FROM cheap', options).tables).toEqual([
      'fruit',
    ]);
    const counted = guardSql(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50) SELECT max(x) FROM c',
      options,
    );
    expect(counted.tables).toEqual([]);
    expect(guardSql("SELECT strftime('%Y', day) AS y, sum(amount) FROM sales GROUP BY y", options).tables).toEqual(['sales']);
  });
});

describe('SQL guard: every forbidden kind is refused before it runs', () => {
  it('writes and schema changes', () => {
    expect(refusal("INSERT INTO fruit VALUES (1, 'x', 1, 1)")).toBe('a write (INSERT) is not allowed: the SQL may only read');
    expect(refusal('UPDATE fruit SET price = 0')).toBe('a write (UPDATE) is not allowed: the SQL may only read');
    expect(refusal('WITH x AS (SELECT 1) DELETE FROM fruit')).toBe('a write (DELETE) is not allowed: the SQL may only read');
    expect(refusal('DROP TABLE fruit')).toBe('a schema change (DROP) is not allowed: the SQL may only read');
    expect(refusal('SELECT 1; SELECT 2')).toBe('only one statement may run: the SQL has more than one');
    expect(refusal('CREATE TABLE x (a)')).toBe('a schema change (CREATE) is not allowed: the SQL may only read');
  });

  it('ATTACH, PRAGMA and load_extension', () => {
    expect(refusal("ATTACH DATABASE '/tmp/x.db' AS x")).toBe('ATTACH is not allowed: the SQL may only read');
    expect(refusal('PRAGMA table_info(fruit)')).toBe('PRAGMA is not allowed: the SQL may only read');
    expect(refusal("SELECT load_extension('/tmp/evil.so')")).toBe('load_extension is not allowed');
    expect(refusal("SELECT * FROM pragma_table_info('fruit')")).toMatch(/^the function pragma_table_info\(\) is not allowed/);
  });

  it('functions outside the allow list, tables outside the collection, and unknown names', () => {
    expect(refusal('SELECT randomblob(1000000000)')).toMatch(/^the function randomblob\(\) is not allowed/);
    expect(refusal('SELECT * FROM sqlite_master')).toBe('no table named sqlite_master in this collection (tables: fruit, sales)');
    expect(refusal('SELECT * FROM t_0123abcd_1')).toBe('no table named t_0123abcd_1 in this collection (tables: fruit, sales)');
    expect(refusal('SELECT * FROM main.fruit')).toBe('no table named main in this collection (tables: fruit, sales)');
    expect(refusal('SELECT f.sql FROM fruit f')).toBe("no column named sql in this collection's tables");
    expect(refusal('SELECT secret FROM fruit')).toBe("no column named secret in this collection's tables");
    expect(refusal('SELECT item FROM fruit WHERE price > ?')).toBe(
      'SQL parameters (?, :name, @name, $name) are not accepted; write the values in the query',
    );
    expect(refusal('VALUES (1)')).toBe('only a SELECT (or WITH … SELECT) may run');
  });

  it('recursive CTEs without a LIMIT, or past the limit', () => {
    expect(refusal('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c')).toBe(
      'the recursive CTE c needs a LIMIT of at most 100 rows',
    );
    expect(refusal('WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000) SELECT count(*) FROM c')).toBe(
      'the recursive CTE c has LIMIT 1000000; at most 100 is allowed',
    );
  });

  it('subqueries and CTEs reach no other table', () => {
    expect(refusal('SELECT item FROM fruit WHERE item IN (SELECT item FROM sqlite_master)')).toBe(
      'no table named sqlite_master in this collection (tables: fruit, sales)',
    );
    expect(refusal('WITH x AS (SELECT * FROM sqlite_schema) SELECT * FROM x')).toBe(
      'no table named sqlite_schema in this collection (tables: fruit, sales)',
    );
    expect(refusal('SELECT sqlite_version()')).toMatch(/^the function sqlite_version\(\) is not allowed/);
    expect(guardSql("SELECT item FROM fruit WHERE item = 'bananas' COLLATE NOCASE", options).tables).toEqual(['fruit']);
  });

  it('comments and quoting do not hide anything', () => {
    expect(refusal('SELECT 1 /* ; */ ; -- x\n PRAGMA x')).toBe('PRAGMA is not allowed: the SQL may only read');
    expect(refusal('SELECT * FROM "sqlite_master"')).toBe(
      'no table named "sqlite_master" in this collection (tables: fruit, sales)',
    );
    expect(guardSql("SELECT item FROM fruit WHERE item = 'DROP TABLE; PRAGMA'", options).tables).toEqual(['fruit']);
  });
});
