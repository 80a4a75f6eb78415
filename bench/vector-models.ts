/**
 * `vectors.models()` (the per-model vector counts `GET /v1/collections` shows) against the GROUP BY
 * it replaced, on a generated store: n vectors of d dimensions in one collection, a tenth of them
 * under a second model.
 *   npm run bench -- vector-models [--n 300000] [--dims 384] [--rounds 3]
 * Each round reopens the database (a cold SQLite page cache; the file stays in the OS cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createVectorsRepo } from '../store/chunks.ts';
import { openDatabase } from '../store/database.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '300000' },
    dims: { type: 'string', default: '384' },
    rounds: { type: 'string', default: '3' },
  },
});
const n = Number(values.n);
const dims = Number(values.dims);
const log = (message: string) => process.stderr.write(`${message}\n`);
const GROUP_BY =
  'SELECT model_id AS modelId, dimensions, count(*) AS count FROM vectors WHERE collection_id = ? GROUP BY model_id, dimensions';

function fill(file: string): void {
  const db = openDatabase({ file });
  db.pragma('foreign_keys = OFF'); // vectors without chunk rows: only the vectors table is read
  const insert = db.prepare(
    "INSERT INTO vectors (chunk_rowid, collection_id, model_id, dimensions, vector) VALUES (?, 'c', ?, ?, ?)",
  );
  const blob = Buffer.from(new Float32Array(dims).fill(0.5).buffer);
  db.transaction(() => {
    for (let i = 1; i <= n; i++) insert.run(i, i % 10 === 0 ? 'm2' : 'm1', dims, blob);
  })();
  db.close();
}

function timed<T>(file: string, run: (db: ReturnType<typeof openDatabase>) => T): { ms: number; rows: T } {
  const db = openDatabase({ file });
  const started = performance.now();
  const rows = run(db);
  const ms = performance.now() - started;
  db.close();
  return { ms, rows };
}

const dir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-models-'));
try {
  const file = path.join(dir, 'cairn.db');
  log(`writing ${n} vectors of ${dims} dimensions`);
  fill(file);
  const groupBy: number[] = [];
  const walk: number[] = [];
  let same = true;
  for (let r = 0; r < Number(values.rounds); r++) {
    const old = timed(file, (db) => db.prepare(GROUP_BY).all('c'));
    const now = timed(file, (db) => createVectorsRepo(db).models('c'));
    same &&= JSON.stringify(old.rows) === JSON.stringify(now.rows);
    groupBy.push(old.ms);
    walk.push(now.ms);
    log(`round ${r + 1}: group by ${old.ms.toFixed(1)} ms, index walk ${now.ms.toFixed(1)} ms`);
  }
  const best = (xs: number[]) => Number(Math.min(...xs).toFixed(1));
  const output = {
    bench: 'vector-models',
    n,
    dims,
    results: [
      { name: 'group-by', ms: best(groupBy) },
      { name: 'cairn-index-walk', ms: best(walk), same_rows: same },
    ],
    ratios: { cairn_index_walk_vs_group_by: Number((best(groupBy) / best(walk)).toFixed(1)) },
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
