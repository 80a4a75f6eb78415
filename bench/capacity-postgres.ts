/**
 * The PostgreSQL half of bench/capacity.ts: pgvector sizes, HNSW build time and queries/s on
 * random vectors in a table shaped like the planned `vectors` table (migrations/postgres, PG-PLAN).
 */
import pg from 'pg';
import { createRandom } from '../indexer/ann/kmeans.ts';

export interface PostgresOptions {
  url: string;
  n: number;
  dims: number;
  m: number;
  efConstruction: number;
  maintenanceWorkMem: string;
  queries: number;
  toast: { n: number; dims: number };
  keep: boolean;
  log: (line: string) => void;
}

type Row = Record<string, unknown>;
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

async function one<T>(client: pg.Client, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await client.query(sql, params);
  return rows[0] as T;
}

/** Heap, TOAST (table + its index) and each index of a table, in bytes per row. */
async function relationSizes(client: pg.Client, table: string, rows: number): Promise<Row> {
  const sizes = await one<{ heap: string; toast: string; total: string }>(
    client,
    `SELECT pg_relation_size(c.oid) AS heap,
            COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast,
            pg_total_relation_size(c.oid) AS total
       FROM pg_class c WHERE c.relname = $1`,
    [table],
  );
  const { rows: indexes } = await client.query<{ name: string; bytes: string }>(
    `SELECT i.relname AS name, pg_relation_size(i.oid) AS bytes
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname = $1 ORDER BY i.relname`,
    [table],
  );
  const perRow = (bytes: string | number) => round(Number(bytes) / rows);
  return {
    heapBytesPerRow: perRow(sizes.heap),
    toastBytesPerRow: perRow(sizes.toast),
    totalBytesPerRow: perRow(sizes.total),
    indexes: indexes.map((i) => ({ name: i.name, bytesPerRow: perRow(i.bytes), mb: round(Number(i.bytes) / 2 ** 20) })),
  };
}

const SPREAD = 0.6;
const clustersFor = (n: number) => Math.max(10, Math.round(Math.sqrt(n) / 2));
/** A standard normal in SQL (Box-Muller); PostgreSQL 15 has no random_normal(). */
const GAUSS = 'sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())';

/**
 * Vectors generated in the server, nothing shipped: with `clustered`, bench/ann's mixture (random
 * Gaussian centres, spread 0.6, sqrt(n)/2 clusters; recall on it means something), else uniform.
 */
async function fillVectors(client: pg.Client, table: string, n: number, dims: number, clustered: boolean): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(
    `CREATE TABLE ${table} (rowid bigint NOT NULL, collection_id text NOT NULL, model_id text NOT NULL,
       dimensions int NOT NULL, embedding vector NOT NULL, PRIMARY KEY (rowid, model_id))`,
  );
  await client.query(`CREATE INDEX ${table}_collection_model ON ${table} (collection_id, model_id)`);
  const head = `INSERT INTO ${table} SELECT i, 'capacity', 'onnx:Xenova/bge-small-en-v1.5', ${dims},`;
  if (clustered) {
    await client.query('DROP TABLE IF EXISTS capacity_centres');
    await client.query(
      `CREATE TABLE capacity_centres AS SELECT c, array_agg(${GAUSS} ORDER BY j) AS v
         FROM generate_series(0, ${clustersFor(n) - 1}) c, generate_series(1, ${dims}) j GROUP BY c`,
    );
    await client.query(
      // unnest reads each centre once per row; ce.v[j] would detoast the whole array per element.
      `${head} (SELECT array_agg(((x + ${SPREAD} * ${GAUSS}) / sqrt(${dims}))::real ORDER BY j) FROM unnest(ce.v) WITH ORDINALITY u(x, j))::vector
         FROM generate_series(1, ${n}) i JOIN capacity_centres ce ON ce.c = (hashint4(i) & 2147483647) % ${clustersFor(n)}`,
    );
  } else {
    await client.query(
      `${head} (SELECT array_agg(random() - 0.5)::real[] FROM generate_series(1, ${dims}) WHERE i > 0)::vector FROM generate_series(1, ${n}) i`,
    );
  }
  await client.query(`VACUUM ANALYZE ${table}`);
}

/** Queries drawn from the same mixture as the rows (the centres are read back). */
async function queryVectors(client: pg.Client, count: number, dims: number): Promise<string[]> {
  const { rows } = await client.query<{ v: number[] }>('SELECT v FROM capacity_centres ORDER BY c');
  const random = createRandom(5);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const centre = rows[Math.floor(random() * rows.length)]!.v;
    return `[${centre.map((x) => ((x + SPREAD * gauss()) / Math.sqrt(dims)).toFixed(6)).join(',')}]`;
  });
}

async function buildIndex(client: pg.Client, options: PostgresOptions, type: 'vector' | 'halfvec'): Promise<Row> {
  const name = `capacity_vectors_hnsw_${type}`;
  const started = performance.now();
  await client.query(
    `CREATE INDEX ${name} ON capacity_vectors USING hnsw ((embedding::${type}(${options.dims})) ${type}_cosine_ops)
       WITH (m = ${options.m}, ef_construction = ${options.efConstruction})`,
  );
  const seconds = (performance.now() - started) / 1000;
  const bytes = Number((await one<{ b: string }>(client, 'SELECT pg_relation_size($1::regclass) AS b', [name])).b);
  return {
    name: 'pg-hnsw-build',
    type,
    n: options.n,
    dims: options.dims,
    m: options.m,
    efConstruction: options.efConstruction,
    buildSeconds: round(seconds),
    indexMb: round(bytes / 2 ** 20),
    indexBytesPerRow: round(bytes / options.n),
  };
}

const knn = (type: string, dims: number) =>
  `SELECT rowid FROM capacity_vectors ORDER BY embedding::${type}(${dims}) <=> $1::${type}(${dims}) LIMIT 10`;

async function exactTopTen(client: pg.Client, queries: string[], dims: number): Promise<Set<string>[]> {
  await client.query('BEGIN');
  await client.query('SET LOCAL enable_indexscan = off');
  const truth = [];
  for (const q of queries) truth.push(new Set((await client.query(knn('vector', dims), [q])).rows.map((r) => String(r.rowid))));
  await client.query('COMMIT');
  return truth;
}

/** queries/s over `connections` clients splitting the queries, and recall@10 against the exact answers. */
async function timeQueries(
  clients: pg.Client[],
  type: string,
  options: PostgresOptions,
  queries: string[],
  truth: Set<string>[],
  ef: number,
): Promise<Row> {
  for (const c of clients) await c.query(`SET hnsw.ef_search = ${ef}`);
  // One untimed pass first, so the rows after the first are not timing a cold cache.
  for (const q of queries) await clients[0]!.query(knn(type, options.dims), [q]);
  let found = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, k) => {
      for (let i = k; i < queries.length; i += clients.length) {
        const { rows } = await client.query(knn(type, options.dims), [queries[i]]);
        found += rows.filter((r) => truth[i]!.has(String(r.rowid))).length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    name: 'pg-hnsw-query',
    type,
    efSearch: ef,
    connections: clients.length,
    queries: queries.length,
    qps: Math.round(queries.length / seconds),
    recallAt10: round(found / (queries.length * 10), 3),
  };
}

async function vectorTables(client: pg.Client, options: PostgresOptions): Promise<Row[]> {
  const { n, dims, log } = options;
  log(`postgres: ${n} random ${dims}-d vectors`);
  let started = performance.now();
  await fillVectors(client, 'capacity_vectors', n, dims, true);
  const rows: Row[] = [
    {
      name: 'pg-vectors',
      type: 'vector',
      n,
      dims,
      fillSeconds: round((performance.now() - started) / 1000),
      ...(await relationSizes(client, 'capacity_vectors', n)),
    },
  ];
  await client.query('DROP TABLE IF EXISTS capacity_halfvec');
  await client.query(
    `CREATE TABLE capacity_halfvec AS SELECT rowid, collection_id, model_id, dimensions, embedding::halfvec(${dims}) AS embedding FROM capacity_vectors`,
  );
  await client.query('VACUUM ANALYZE capacity_halfvec');
  rows.push({ name: 'pg-vectors', type: 'halfvec', n, dims, ...(await relationSizes(client, 'capacity_halfvec', n)) });
  log(`postgres: ${options.toast.n} random ${options.toast.dims}-d vectors (no index)`);
  started = performance.now();
  await fillVectors(client, 'capacity_toast', options.toast.n, options.toast.dims, false);
  rows.push({
    name: 'pg-vectors',
    type: 'vector',
    n: options.toast.n,
    dims: options.toast.dims,
    ...(await relationSizes(client, 'capacity_toast', options.toast.n)),
  });
  return rows;
}

export async function measurePostgres(options: PostgresOptions): Promise<Row[]> {
  const clients = [new pg.Client({ connectionString: options.url }), new pg.Client({ connectionString: options.url })];
  for (const c of clients) await c.connect();
  const [client] = clients as [pg.Client, pg.Client];
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    const settings = await one<Row>(
      client,
      `SELECT extversion AS pgvector, current_setting('server_version') AS postgres, current_setting('max_parallel_maintenance_workers') AS "maxParallelMaintenanceWorkers", current_setting('shared_buffers') AS "sharedBuffers" FROM pg_extension WHERE extname = 'vector'`,
    );
    const rows: Row[] = [{ name: 'pg-settings', ...settings, maintenanceWorkMem: options.maintenanceWorkMem }];
    rows.push(...(await vectorTables(client, options)));
    await client.query(`SET maintenance_work_mem = '${options.maintenanceWorkMem}'`);
    const queries = await queryVectors(client, options.queries, options.dims);
    options.log('postgres: exact answers');
    const truth = await exactTopTen(client, queries, options.dims);
    for (const type of ['vector', 'halfvec'] as const) {
      options.log(`postgres: hnsw build (${type})`);
      rows.push(await buildIndex(client, options, type));
      for (const ef of [40, 100]) {
        for (const connections of [1, 2])
          rows.push(await timeQueries(clients.slice(0, connections), type, options, queries, truth, ef));
      }
      // The next build must not see this index; queries on it are done.
      if (type === 'vector') await client.query('DROP INDEX capacity_vectors_hnsw_vector');
    }
    if (!options.keep)
      await client.query('DROP TABLE IF EXISTS capacity_vectors, capacity_halfvec, capacity_toast, capacity_centres');
    return rows;
  } finally {
    for (const c of clients) await c.end();
  }
}
