import { Hono } from 'hono';
import { z } from 'zod';
import { CairnError } from '../../core/index.ts';
import { listTables, runSql } from '../../generation/index.ts';
import type { Store } from '../../store/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { param, parseJsonBody } from '../validate.ts';

export const sqlSchema = z.strictObject({
  /** One SELECT over the collection's tables, by the names `GET …/tables` lists. */
  sql: z.string().min(1).max(20_000),
});

export const sqlDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/collections/{collection}/sql',
    summary: 'Run one read-only SELECT over the collection’s tables (time, scan and row limits)',
    tag: 'Tables',
    body: sqlSchema,
    scope: 'read',
    responses: {
      200: 'Columns, rows (cut at the row limit, `truncated` says so), the tables read and their sources',
      400: 'Refused before running (SQL_REFUSED: not one SELECT over this collection’s tables) or failed (SQL_FAILED)',
      404: 'No such collection',
      408: 'Stopped at the time or scan limit (SQL_TIMEOUT)',
    },
  },
  {
    method: 'get',
    path: '/v1/collections/{collection}/tables',
    summary: 'The collection’s tables: SQL names, columns with their types, row counts and sources',
    tag: 'Tables',
    scope: 'read',
    responses: { 200: 'Tables', 404: 'No such collection' },
  },
];

/** The embedded store, which keeps data tables; without it SQL is not available (after the collection is known to exist). */
async function tablesStore(deps: AppDeps, name: string): Promise<Store> {
  if (deps.embedded) return deps.embedded;
  await deps.store.collections.require(name);
  throw new CairnError('NOT_IMPLEMENTED', 'SQL over tables needs the embedded SQLite store: this server keeps no data tables', {
    store: deps.store.kind,
  });
}

export function createSqlRoutes(deps: AppDeps) {
  return new Hono<AppEnv>()
    .post('/sql', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      const body = await parseJsonBody(c, sqlSchema);
      return c.json(
        await runSql({ store: await tablesStore(deps, name), config: deps.config }, name, body.sql, c.req.raw.signal),
      );
    })
    .get('/tables', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      // Only the embedded store keeps data tables: a PostgreSQL-backed collection has none.
      if (!deps.embedded) {
        await deps.store.collections.require(name);
        return c.json({ tables: [] });
      }
      return c.json({ tables: listTables(deps.embedded, name) });
    });
}
