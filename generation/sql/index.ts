export { readSqlEval, runSqlEval, type SqlEvalDeps, type SqlEvalQuestion, type SqlEvalReport, sameRows } from './eval.ts';
export { executeSelect, type SqlRows } from './executor.ts';
export { resultTable } from './format.ts';
export { type GuardedQuery, type GuardTable, guardSql } from './guard.ts';
export { guardTables, listTables, runSql, type SqlDeps, type SqlResult, type TableListing } from './service.ts';
export { type TableAnswer, type TableRoute, tableCellStage, tableRouteStage } from './stage.ts';
