import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { ingest } from '../../indexer/index.ts';
import { sqliteDeps } from '../../store/index.ts';
import { FRUIT_CSV, numbersCsv } from '../generation/sql-helpers.ts';
import { createTestEnv, json, type TestEnv } from './helpers.ts';

let env: TestEnv;
afterEach(async () => env?.cleanup());

async function setup(config = {}): Promise<TestEnv> {
  env = createTestEnv({ config });
  const sources = [
    { kind: 'bytes' as const, name: 'fruit.csv', source: 'fruit.csv', data: new TextEncoder().encode(FRUIT_CSV) },
    { kind: 'bytes' as const, name: 'numbers.csv', source: 'numbers.csv', data: new TextEncoder().encode(numbersCsv(2000)) },
  ];
  await ingest(
    { ...sqliteDeps(env.store), config: env.config, logger: silentLogger, embedder: null },
    { collection: 'shop', sources },
  );
  return env;
}

describe('POST /v1/collections/{c}/sql and GET …/tables', () => {
  it('runs a SELECT and answers columns, rows and the tables read', async () => {
    await setup();
    const res = await env.app.request(
      '/v1/collections/shop/sql',
      json({ sql: 'SELECT item, price FROM fruit ORDER BY price DESC LIMIT 1' }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect({ ...body, ms: typeof body.ms }).toEqual({
      sql: 'SELECT item, price FROM fruit ORDER BY price DESC LIMIT 1',
      columns: ['item', 'price'],
      rows: [['Cherries', 4.5]],
      truncated: false,
      scanned: 3,
      ms: 'number',
      tables: [{ name: 'fruit', source: 'fruit.csv', sheet: null, page: null }],
    });
  });

  it('refuses a write with 400 SQL_REFUSED and stops a cross join with 408 SQL_TIMEOUT', async () => {
    await setup({ tables: { timeoutMs: 200, maxScannedRows: 1e12 } });
    const write = await env.app.request('/v1/collections/shop/sql', json({ sql: 'DELETE FROM fruit' }));
    expect(write.status).toBe(400);
    expect(((await write.json()) as { error: { code: string } }).error.code).toBe('SQL_REFUSED');
    const slow = await env.app.request(
      '/v1/collections/shop/sql',
      json({ sql: 'SELECT count(*) FROM numbers a, numbers b, numbers c' }),
    );
    expect(slow.status).toBe(408);
    const { error } = (await slow.json()) as { error: { code: string; message: string } };
    expect([error.code, error.message]).toEqual(['SQL_TIMEOUT', 'the query ran past its time limit']);
  });

  it('needs the read scope on the collection', async () => {
    await setup();
    const { key } = env.store.apiKeys.create({ name: 'other', scopes: { elsewhere: ['read'] } });
    const res = await env.app.request('/v1/collections/shop/sql', json({ sql: 'SELECT 1' }, { authorization: `Bearer ${key}` }));
    expect(res.status).toBe(403);
  });

  it('lists tables with columns, types, row counts and sources', async () => {
    await setup();
    const res = await env.app.request('/v1/collections/shop/tables');
    expect(res.status).toBe(200);
    const { tables } = (await res.json()) as { tables: { name: string; rows: number; columns: unknown[]; source: string }[] };
    expect(tables.map((t) => [t.name, t.rows, t.source])).toEqual([
      ['fruit', 3, 'fruit.csv'],
      ['numbers', 2000, 'numbers.csv'],
    ]);
    expect(tables[0]?.columns).toEqual([
      { name: 'item', label: 'Item', type: 'text' },
      { name: 'price', label: 'Price', type: 'real' },
      { name: 'in_stock', label: 'In stock', type: 'integer' },
    ]);
  });
});
