/** Words a SELECT may use as SQL (not as names). */
export const KEYWORDS = new Set(
  'select distinct all from where group by having order asc desc limit offset as join inner left right full outer cross natural on using and or not in is null like glob between case when then else end exists union intersect except with recursive cast collate escape nulls first last over partition filter window rows range groups preceding following current row unbounded exclude ties others no true false values isnull notnull materialized current_date current_time current_timestamp nocase binary'.split(
    ' ',
  ),
);

/** Statements and clauses that change something, with what the refusal calls them. */
export const FORBIDDEN: Record<string, string> = {
  insert: 'a write (INSERT)',
  update: 'a write (UPDATE)',
  delete: 'a write (DELETE)',
  replace: 'a write (REPLACE)',
  upsert: 'a write',
  into: 'a write (INTO)',
  returning: 'a write (RETURNING)',
  create: 'a schema change (CREATE)',
  drop: 'a schema change (DROP)',
  alter: 'a schema change (ALTER)',
  vacuum: 'VACUUM',
  reindex: 'REINDEX',
  analyze: 'ANALYZE',
  attach: 'ATTACH',
  detach: 'DETACH',
  pragma: 'PRAGMA',
  begin: 'a transaction (BEGIN)',
  commit: 'a transaction (COMMIT)',
  end_transaction: 'a transaction',
  rollback: 'a transaction (ROLLBACK)',
  savepoint: 'a transaction (SAVEPOINT)',
  release: 'a transaction (RELEASE)',
  transaction: 'a transaction',
  explain: 'EXPLAIN',
  indexed: 'INDEXED BY',
};

/** Functions a query may call: aggregates, scalar text/number/date functions and window functions. */
export const FUNCTIONS = new Set(
  'abs avg count sum total min max group_concat string_agg round lower upper length substr substring trim ltrim rtrim replace coalesce ifnull nullif iif instr date time datetime julianday strftime unixepoch typeof hex sign ceil ceiling floor trunc sqrt power pow exp ln log log10 log2 mod pi char unicode like glob row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value cast'.split(
    ' ',
  ),
);
