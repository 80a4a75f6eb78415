// Runs one guarded SELECT on its own read-only connection, in its own thread, so the caller can
// stop it at its deadline. Plain JavaScript: a worker thread does not inherit the tsx loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, sql, maxRows, maxScannedRows, deadline, tick } = workerData;
const MAX_TEXT = 1_000_000;

function stop(code, message) {
  const error = new Error(message);
  error.cairnCode = code;
  throw error;
}

function open() {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  let scanned = 0;
  // Every table read goes through this per row: the query stops itself at the deadline or budget.
  db.function(tick, { deterministic: false, varargs: true }, () => {
    scanned += 1;
    if (scanned > maxScannedRows) stop('SQL_TIMEOUT', `the query read more than ${maxScannedRows} table rows`);
    if ((scanned & 1023) === 0 && Date.now() > deadline) stop('SQL_TIMEOUT', 'the query ran past its time limit');
    return 1;
  });
  // Defence in depth behind the guard: functions that reach outside the database, or grow text
  // without bound, are replaced on this connection.
  for (const name of [
    'load_extension',
    'readfile',
    'writefile',
    'edit',
    'fts3_tokenizer',
    'zeroblob',
    'randomblob',
    'printf',
    'format',
  ]) {
    db.function(name, { varargs: true }, () => stop('SQL_REFUSED', `${name} is not allowed`));
  }
  db.function('replace', { deterministic: true }, (text, from, to) => {
    if (text === null || from === null || to === null) return null;
    const out = String(text).split(String(from)).join(String(to));
    if (out.length > MAX_TEXT) stop('SQL_REFUSED', `replace() made more than ${MAX_TEXT} characters`);
    return out;
  });
  return { db, scanned: () => scanned };
}

function run() {
  const { db, scanned } = open();
  try {
    const statement = db.prepare(sql);
    if (!statement.reader || !statement.readonly) stop('SQL_REFUSED', 'the statement would write');
    const columns = statement.columns().map((c) => c.name);
    statement.raw(true);
    const rows = [];
    let truncated = false;
    for (const row of statement.iterate()) {
      if (rows.length >= maxRows) {
        truncated = true;
        break;
      }
      rows.push(row.map((v) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : v)));
    }
    return { ok: true, columns, rows, truncated, scanned: scanned() };
  } finally {
    db.close();
  }
}

try {
  parentPort.postMessage(run());
} catch (error) {
  parentPort.postMessage({ ok: false, code: error.cairnCode ?? 'SQL_FAILED', message: error.message });
}
