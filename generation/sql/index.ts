export { executeSelect, type SqlRows } from './executor.ts';
export { type GuardedQuery, type GuardTable, guardSql } from './guard.ts';
export { guardTables, runSql, type SqlDeps, type SqlResult } from './service.ts';
