import { useEffect, useState } from 'preact/hooks';
import type { SqlResult, TableInfo } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { t } from './i18n.ts';
import { shownSource } from './jobs.tsx';
import { useSignal } from './signal.ts';
import { current, documentsVersion, view } from './state.ts';

function TableCard({ table, onPick }: { table: TableInfo; onPick: (sql: string) => void }) {
  const where = [shownSource(table.source), table.sheet, table.page !== null ? t('sourcePage', { page: table.page }) : null]
    .filter(Boolean)
    .join(' · ');
  return (
    <li class="table-info">
      <button type="button" class="link table-name" onClick={() => onPick(`SELECT * FROM "${table.name}" LIMIT 20`)}>
        <code>{table.name}</code>
      </button>{' '}
      <span class="muted">
        {where} · {t('tableRows', { rows: table.rows })}
      </span>
      <ul class="columns" aria-label={t('columns')}>
        {table.columns.map((c) => (
          <li key={c.name} class="column" title={c.label}>
            <code>{c.name}</code> <span class="muted">{c.type}</span>
          </li>
        ))}
      </ul>
    </li>
  );
}

function ResultTable({ result }: { result: SqlResult }) {
  return (
    <div class="sql-result">
      <p class="muted" id="sql-summary">
        {t('rowsShown', { rows: result.rows.length, ms: Math.round(result.ms) })}
        {result.truncated && ` · ${t('truncated')}`}
      </p>
      <div class="table-scroll">
        <table class="result">
          <thead>
            <tr>
              {result.columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) => (
                  <td key={j} class={typeof cell === 'number' ? 'num' : ''}>
                    {cell === null ? '' : String(cell)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The collection's tables and read-only SQL over them: what the UI offers where no generator answers. */
export function TablesPage() {
  const name = useSignal(current);
  const version = useSignal(documentsVersion);
  const [tables, setTables] = useState<TableInfo[] | null>(null);
  const [sql, setSql] = useState('');
  const [result, setResult] = useState<SqlResult | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [sqlError, setSqlError] = useState<string | null>(null);
  useEffect(() => {
    if (!name) return;
    let live = true;
    cairn.tables.list(name).then(
      (list) => {
        if (!live) return;
        setTables(list);
        setListError(null);
      },
      (e) => live && setListError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [name, version]);
  useEffect(() => {
    setResult(null);
    setSqlError(null);
  }, [name]);
  const run = async (event: Event) => {
    event.preventDefault();
    if (!name || !sql.trim()) return;
    try {
      setResult(await cairn.tables.sql(name, sql.trim()));
      setSqlError(null);
    } catch (failure) {
      setResult(null);
      setSqlError(describeError(failure));
    }
  };
  return (
    <section class="tables-page" aria-label={t('tables')}>
      <button type="button" class="link" onClick={() => view.set('chat')}>
        ← {t('back')}
      </button>
      <h3>
        {t('tables')}: {name}
      </h3>
      {listError && (
        <p class="error" role="alert">
          {listError}
        </p>
      )}
      {tables?.length === 0 && <p class="muted">{t('noTables')}</p>}
      <ul class="table-list" id="table-list">
        {tables?.map((table) => (
          <TableCard key={table.name} table={table} onPick={setSql} />
        ))}
      </ul>
      <form class="sql-form" onSubmit={run}>
        <textarea
          id="sql"
          rows={3}
          spellcheck={false}
          aria-label="SQL"
          placeholder={t('sqlPlaceholder')}
          value={sql}
          onInput={(e) => setSql(e.currentTarget.value)}
          onKeyDown={(e) => (e.ctrlKey || e.metaKey) && e.key === 'Enter' && run(e)}
        />
        <button type="submit" class="primary" id="run-sql" disabled={!sql.trim()}>
          {t('runSql')}
        </button>
      </form>
      {sqlError && (
        <p class="error" role="alert" id="sql-error">
          {sqlError}
        </p>
      )}
      {result && <ResultTable result={result} />}
    </section>
  );
}
