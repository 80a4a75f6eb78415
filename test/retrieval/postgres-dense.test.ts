import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/index.ts';
import {
  atLeast,
  createVectorIndexEnsurer,
  densePlan,
  ensureVectorIndex,
  pgvectorSupport,
  searchDensePg,
  vectorIndexName,
} from '../../retrieval/postgres/index.ts';
import { createTestDatabase, describePostgres, type TestDatabase } from './postgres-fixtures.ts';

const C = 'densec';
const MODEL = "test/model's-64";
const DIMS = 64;
const DOCS = 2000;
const CHUNKS_PER_DOC = 10;
/** 20 of 2000 documents: 1 % of the 20,000 vectors. */
const RARE_EVERY = 100;
const K = 10;
const NOISE = 0.5;

/** Deterministic PRNG (mulberry32), so the corpus and queries are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clustered, not uniform: 40 centres with noise, the shape real embeddings have; queries come from the same centres. */
function makeVectors(n: number, seed: number): Float32Array[] {
  const centresRnd = random(7);
  const rnd = random(seed);
  const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 40 }, () => Array.from({ length: DIMS }, () => gauss(centresRnd)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rnd() * centres.length)] as number[];
    return Float32Array.from(c, (x) => x + NOISE * gauss(rnd));
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

function exactTop(query: Float32Array, vectors: Map<number, Float32Array>, allowed: (rowid: number) => boolean): number[] {
  return [...vectors]
    .filter(([rowid]) => allowed(rowid))
    .map(([rowid, v]) => ({ rowid, score: cosine(query, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, K)
    .map((h) => h.rowid);
}

async function load(db: pg.Pool): Promise<{ vectors: Map<number, Float32Array>; rare: Set<number> }> {
  const now = new Date().toISOString();
  await db.query('INSERT INTO collections (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2)', [C, now]);
  await db.query(
    `INSERT INTO documents (id, collection_id, source, mime, content_hash, text, tags, created_at, updated_at)
     SELECT 'd' || i, $1, 'd' || i, 'text/plain', 'h', '', CASE WHEN i % ${RARE_EVERY} = 0 THEN '["rare"]' ELSE '[]' END::jsonb, $2, $2
     FROM generate_series(0, ${DOCS - 1}) i`,
    [C, now],
  );
  const { rows } = await db.query<{ rowid: string; doc: number }>(
    `INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, search_text)
     SELECT 'd' || i || '#' || j, 'd' || i, $1, j, '', 0, 0, '' FROM generate_series(0, ${DOCS - 1}) i, generate_series(0, ${CHUNKS_PER_DOC - 1}) j
     RETURNING rowid, substring(document_id from 2)::int AS doc`,
    [C],
  );
  const list = makeVectors(rows.length, 8);
  const vectors = new Map<number, Float32Array>();
  const rare = new Set<number>();
  rows.forEach((r, i) => {
    vectors.set(Number(r.rowid), list[i] as Float32Array);
    if (r.doc % RARE_EVERY === 0) rare.add(Number(r.rowid));
  });
  await db.query(
    `INSERT INTO vectors (rowid, collection_id, model_id, dimensions, embedding)
     SELECT r, $1, $2, ${DIMS}, e::vector FROM unnest($3::bigint[], $4::text[]) AS t(r, e)`,
    [C, MODEL, [...vectors.keys()], [...vectors.values()].map((v) => `[${v.join(',')}]`)],
  );
  return { vectors, rare };
}

describePostgres('dense search inside PostgreSQL (pgvector HNSW)', () => {
  let tdb: TestDatabase;
  let data: { vectors: Map<number, Float32Array>; rare: Set<number> };
  const queries = makeVectors(30, 99);

  beforeAll(async () => {
    tdb = await createTestDatabase('cairn_dense');
    data = await load(tdb.pool);
    expect(await ensureVectorIndex(tdb.pool, MODEL, DIMS, { m: 16, efConstruction: 64 })).toEqual({
      name: vectorIndexName(MODEL, DIMS),
      created: true,
    });
  }, 240_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  it('creates the index once, on the model, as an expression index with the configured m and ef_construction', async () => {
    expect(await ensureVectorIndex(tdb.pool, MODEL, DIMS, { m: 16, efConstruction: 64 })).toEqual({
      name: vectorIndexName(MODEL, DIMS),
      created: false,
    });
    const { rows } = await tdb.pool.query<{ def: string }>('SELECT pg_get_indexdef(to_regclass($1)) AS def', [
      vectorIndexName(MODEL, DIMS),
    ]);
    expect(rows[0]?.def).toContain(
      `USING hnsw (((embedding)::vector(${DIMS})) vector_cosine_ops) WITH (m='16', ef_construction='64') WHERE`,
    );
    expect(rows[0]?.def).toContain("model_id = 'test/model''s-64'::text");
  });

  it('ensures each model’s index once per process', async () => {
    const ensurer = createVectorIndexEnsurer(tdb.pool, { m: 8, efConstruction: 32 });
    const [first, again] = await Promise.all([ensurer.ensure(MODEL, DIMS), ensurer.ensure(MODEL, DIMS)]);
    expect(first).toEqual({ name: vectorIndexName(MODEL, DIMS), created: false });
    expect(again).toBe(first);
  });

  it('reads the pgvector version and knows iterative scans need 0.8', async () => {
    const support = await pgvectorSupport(tdb.pool);
    expect(support.iterativeScan).toBe(atLeast(support.version ?? '0', 0, 8));
    expect([atLeast('0.7.4', 0, 8), atLeast('0.8.0', 0, 8), atLeast('1.0.0', 0, 8)]).toEqual([false, true, true]);
  });

  it('uses the HNSW index for an unfiltered query, with recall ≥ 0.95 and cosine scores', async () => {
    const plan = await tdb.pool.query(
      `EXPLAIN SELECT rowid FROM vectors v WHERE v.model_id = 'test/model''s-64' AND v.dimensions = ${DIMS}
       ORDER BY (v.embedding::vector(${DIMS})) <=> ($1::vector(${DIMS})) LIMIT 10`,
      [`[${(queries[0] as Float32Array).join(',')}]`],
    );
    expect(JSON.stringify(plan.rows)).toContain(vectorIndexName(MODEL, DIMS));
    let found = 0;
    for (const q of queries) {
      const hits = await searchDensePg(tdb.pool, { collectionId: C, modelId: MODEL, vector: q, k: K });
      expect(hits.length).toBe(K);
      const exact = exactTop(q, data.vectors, () => true);
      found += hits.filter((h) => exact.includes(h.id)).length;
      const top = hits[0] as { id: number; score: number };
      expect(top.score).toBeCloseTo(cosine(q, data.vectors.get(top.id) as Float32Array), 5);
    }
    expect(found / (queries.length * K)).toBeGreaterThanOrEqual(0.95);
  });

  /** Recall@k of the filtered search against the exact answer; every query must return exactly k rare chunks. */
  async function filteredRecall(pool: pg.Pool): Promise<number> {
    let found = 0;
    for (const q of queries) {
      const hits = await searchDensePg(pool, { collectionId: C, modelId: MODEL, vector: q, k: K, filter: { tags: ['rare'] } });
      expect(hits.length).toBe(K);
      expect(hits.every((h) => data.rare.has(h.id))).toBe(true);
      const exact = exactTop(q, data.vectors, (rowid) => data.rare.has(rowid));
      found += hits.filter((h) => exact.includes(h.id)).length;
    }
    return found / (queries.length * K);
  }

  it('returns exactly k results under a 1 % filter, recall ≥ 0.95 against the exact answer (planner’s choice)', async () => {
    expect(data.rare.size).toBe((DOCS / RARE_EVERY) * CHUNKS_PER_DOC);
    await tdb.pool.query('ANALYZE');
    expect(await filteredRecall(tdb.pool)).toBeGreaterThanOrEqual(0.95);
  });

  it('returns exactly k results under a 1 % filter through the HNSW index (iterative scan), recall ≥ 0.95', async () => {
    // Sorting disabled: the planner must take the index order instead of sorting the 200 filtered rows.
    const forced = new pg.Pool({ connectionString: tdb.url, max: 1, options: '-c enable_sort=off' });
    try {
      const plan = await forced.query(
        `EXPLAIN SELECT v.rowid FROM vectors v WHERE v.model_id = 'test/model''s-64' AND v.dimensions = ${DIMS}
         AND EXISTS (SELECT 1 FROM chunks fc JOIN documents d ON d.id = fc.document_id WHERE fc.rowid = v.rowid AND d.tags ?| '{rare}')
         ORDER BY (v.embedding::vector(${DIMS})) <=> ($1::vector(${DIMS})) LIMIT 10`,
        [`[${(queries[0] as Float32Array).join(',')}]`],
      );
      expect(JSON.stringify(plan.rows)).toContain(`Index Scan using ${vectorIndexName(MODEL, DIMS)}`);
      expect(await filteredRecall(forced)).toBeGreaterThanOrEqual(0.95);
    } finally {
      await forced.end();
    }
  });

  it('indexes more than 2000 dimensions as halfvec and still finds the nearest', async () => {
    const big = 'big-model';
    const dims = 2100;
    const rowids = [...data.vectors.keys()].slice(0, 50);
    const vectors = rowids.map((_, i) => Float32Array.from({ length: dims }, (_, j) => Math.sin((i + 1) * (j + 1))));
    await tdb.pool.query(
      `INSERT INTO vectors (rowid, collection_id, model_id, dimensions, embedding)
       SELECT r, $1, $2, ${dims}, e::vector FROM unnest($3::bigint[], $4::text[]) AS t(r, e)`,
      [C, big, rowids, vectors.map((v) => `[${v.join(',')}]`)],
    );
    await ensureVectorIndex(tdb.pool, big, dims, { m: 16, efConstruction: 64 });
    const { rows } = await tdb.pool.query<{ def: string }>('SELECT pg_get_indexdef(to_regclass($1)) AS def', [
      vectorIndexName(big, dims),
    ]);
    expect(rows[0]?.def).toContain(`USING hnsw (((embedding)::halfvec(${dims})) halfvec_cosine_ops)`);
    const hits = await searchDensePg(tdb.pool, { collectionId: C, modelId: big, vector: vectors[7] as Float32Array, k: 3 });
    expect(hits.length).toBe(3);
    expect(hits[0]?.id).toBe(rowids[7]);
    expect(hits[0]?.score).toBeCloseTo(1, 3);
  });

  it('keeps other collections’ vectors of the same model out', async () => {
    const hits = await searchDensePg(tdb.pool, {
      collectionId: 'other',
      modelId: MODEL,
      vector: queries[0] as Float32Array,
      k: K,
    });
    expect(hits).toEqual([]);
  });
});

describe('dense query plan by pgvector version', () => {
  const v080 = { version: '0.8.0', iterativeScan: true };
  const v074 = { version: '0.7.4', iterativeScan: false };
  it('sets ef_search and a relaxed iterative scan when pgvector has iterative scans', () => {
    expect(densePlan(v080, { tags: ['a'] }, 100)).toEqual({
      exact: false,
      settings: ['SET LOCAL hnsw.ef_search = 100', 'SET LOCAL hnsw.iterative_scan = relaxed_order'],
    });
  });
  it('refuses a vector whose dimension count pgvector cannot hold, with a typed error', async () => {
    const pool = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
    await expect(
      searchDensePg(pool, { collectionId: 'c', modelId: 'm', vector: new Float32Array(0), k: 1 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
  it('scans the filtered rows exactly on an older pgvector, and uses the index without a filter', () => {
    expect(densePlan(v074, { tags: ['a'] }, 100)).toEqual({ exact: true, settings: [] });
    expect(densePlan(v074, {}, 40)).toEqual({ exact: false, settings: ['SET LOCAL hnsw.ef_search = 40'] });
    expect(densePlan(v074, undefined, 40)).toEqual({ exact: false, settings: ['SET LOCAL hnsw.ef_search = 40'] });
  });
});

describe('store.pgvector config', () => {
  it('defaults to m 16, efConstruction 64, efSearch 100, and takes other values', () => {
    expect(parseConfig({}).store.pgvector).toEqual({ m: 16, efConstruction: 64, efSearch: 100 });
    expect(parseConfig({ store: { pgvector: { m: 32, efSearch: 400 } } }).store.pgvector).toEqual({
      m: 32,
      efConstruction: 64,
      efSearch: 400,
    });
    expect(() => parseConfig({ store: { pgvector: { m: 1 } } })).toThrow();
  });
});
