import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyRepo } from '../../store/idempotency.ts';
import { openStore } from '../../store/index.ts';
import { createPgIdempotencyRepo } from '../../store/postgres/idempotency.ts';
import { createPool, createPostgresStore, latestPostgresVersion, migratePostgres } from '../../store/postgres/index.ts';
import { storeContractSuite } from './contract.case.ts';
import { describePostgres, useTestDatabase } from './postgres-helpers.ts';

describePostgres('PostgreSQL store', () => {
  const url = useTestDatabase('cairn_contract');
  let pool: ReturnType<typeof createPool>;
  beforeAll(async () => {
    pool = createPool({ url: url(), poolSize: 4 });
    await migratePostgres(pool);
  });
  afterAll(async () => {
    await pool?.end();
  });

  storeContractSuite('postgres', () => ({
    kind: 'postgres',
    // Every test starts from empty tables with identities restarted, as a new SQLite file does.
    open: async () => {
      const tables = await pool.query<{ t: string }>(
        "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
      );
      await pool.query(`TRUNCATE ${tables.rows.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
      return { ...createPostgresStore(pool), close: async () => undefined };
    },
    schemaVersion: () => latestPostgresVersion(),
  }));

  // The contract's repos use the wall clock; with an injected one, both backends expire a key after 24 h.
  describe('idempotency keys expire after 24 h on both backends', () => {
    it('a key older than 24 h is not found, and remembering it again replaces it', async () => {
      let clock = Date.parse('2026-01-01T00:00:00.000Z');
      const sqlite = openStore({ file: ':memory:' });
      const repos = [createIdempotencyRepo(sqlite.db, () => clock), createPgIdempotencyRepo(pool, () => clock)];
      const seen: unknown[] = [];
      for (const repo of repos) {
        clock = Date.parse('2026-01-01T00:00:00.000Z');
        await repo.remember('open', 'k', 'c', 'job_1');
        clock += 24 * 3600 * 1000 - 1;
        seen.push((await repo.find('open', 'k'))?.jobId);
        clock += 1;
        seen.push(await repo.find('open', 'k'));
        await repo.remember('open', 'k', 'd', 'job_2');
        seen.push(await repo.find('open', 'k'));
      }
      sqlite.close();
      const renewed = { scope: 'd', jobId: 'job_2', createdAt: '2026-01-02T00:00:00.000Z' };
      expect(seen).toEqual(['job_1', null, renewed, 'job_1', null, renewed]);
    });
  });
});
