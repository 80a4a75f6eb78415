import { afterAll, beforeAll } from 'vitest';
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
});
