import { latestVersion, loadMigrations, openStore } from '../../store/index.ts';
import { createSqliteContract } from '../../store/sqlite-contract.ts';
import { storeContractSuite } from './contract.case.ts';

storeContractSuite('sqlite', () => ({
  kind: 'sqlite',
  open: async () => createSqliteContract(openStore({ file: ':memory:' })),
  schemaVersion: () => latestVersion(loadMigrations()),
}));
