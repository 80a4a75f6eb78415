/**
 * The search half of bench/postgres.ts: BM25 (embedded, in PostgreSQL, ts_rank_cd), dense and
 * hybrid retrieval rows for both backends, and the ratios between them.
 */
import type pg from 'pg';
import type { Config } from '../core/index.ts';
import { createLogger } from '../core/index.ts';
import { createAnnManager } from '../indexer/ann/index.ts';
import { buildBm25Index } from '../retrieval/bm25-index.ts';
import type { BeirData } from '../retrieval/eval/beir-data.ts';
import { ndcgAt, percentile } from '../retrieval/eval/metrics.ts';
import { convexCombination, type Ranked } from '../retrieval/fusion.ts';
import { searchBm25Pg, searchDensePg } from '../retrieval/postgres/index.ts';
import type { openStore } from '../store/index.ts';

export const COLLECTION = 'beir';
/** Candidates each retriever returns for fusion, as the search pipeline asks for. */
const DEPTH = 100;

export type Row = { name: string } & Record<string, unknown>;
export type SqliteStore = ReturnType<typeof openStore>;
export const round = (x: number, p = 4) => Math.round(x * 10 ** p) / 10 ** p;

export interface SearchBenchContext {
  data: BeirData;
  config: Config;
  passes: number;
  /** Logs a row and adds it to `results`. */
  report(row: Row): Row;
  results: Row[];
}

export function createSearchBench(ctx: SearchBenchContext) {
  const { config, passes, report, results } = ctx;
  type Ranker = (i: number) => Promise<string[]>;

  /** nDCG@10 over the queries, and queries/s (best of `passes`, one query at a time). */
  async function measure(
    name: string,
    data: BeirData,
    rank: Ranker,
    extra: Record<string, unknown> = {},
    runs = passes,
  ): Promise<Row> {
    let ndcg = 0;
    for (const [i, q] of data.queries.entries()) ndcg += ndcgAt(await rank(i), data.qrels.get(q.id) ?? new Map(), 10);
    let best = 0;
    for (let p = 0; p < runs; p++) {
      const t = performance.now();
      for (let i = 0; i < data.queries.length; i++) await rank(i);
      best = Math.max(best, data.queries.length / ((performance.now() - t) / 1000));
    }
    return report({ name, ndcg10: round(ndcg / data.queries.length), qps: Math.round(best), ...extra });
  }

  /** Queries/s with `clients` queries in flight at once (PostgreSQL serves each on its own connection). */
  async function throughput(name: string, rank: Ranker, clients: number): Promise<Row> {
    let best = 0;
    for (let p = 0; p < passes; p++) {
      let next = 0;
      const t = performance.now();
      const worker = async () => {
        while (next < ctx.data.queries.length) await rank(next++);
      };
      await Promise.all(Array.from({ length: clients }, worker));
      best = Math.max(best, ctx.data.queries.length / ((performance.now() - t) / 1000));
    }
    return report({ name, qps: Math.round(best), clients });
  }

  function exactTop(query: Float32Array, corpus: Map<string, Float32Array>, k: number): string[] {
    const scored: { id: string; s: number }[] = [];
    for (const [id, v] of corpus) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += (v[i] as number) * (query[i] as number);
      scored.push({ id, s: dot });
    }
    return scored
      .sort((a, b) => b.s - a.s)
      .slice(0, k)
      .map((x) => x.id);
  }

  function recall(got: string[], exact: string[]): number {
    return exact.length === 0 ? 1 : got.filter((id) => exact.includes(id)).length / exact.length;
  }

  type Rank10 = (i: number) => Promise<string[]>;

  /*
   * The pruned path (MaxScore over bm25_terms, retrieval/postgres/bm25.ts) forced on every query:
   * at SciFact's size most queries read few enough postings for the exact path, so the row shows
   * what pruning does to quality (nothing: its hits are the exact query's) and to speed here.
   */
  async function prunedRow(
    data: BeirData,
    index: ReturnType<typeof buildBm25Index>,
    pool: pg.Pool,
    sqliteSource: Map<number, string>,
    pgSource: Map<number, string>,
  ) {
    const pruning = { exactBelow: 0, budget: 1_000, leaders: 100 };
    const search = (text: string) => searchBm25Pg(pool, { collectionId: COLLECTION, query: text, k: 10, pruning });
    const rank: Rank10 = async (i) =>
      (await search((data.queries[i] as { text: string }).text)).hits.map((h) => pgSource.get(h.id) ?? '');
    let identical = 0;
    for (const q of data.queries) {
      const a = index.search(q.text, 10).map((h) => `${sqliteSource.get(h.rowid)}:${h.score}`);
      const b = (await search(q.text)).hits.map((h) => `${pgSource.get(h.id)}:${h.score}`);
      if (a.join() === b.join()) identical++;
    }
    await measure('postgres-bm25-pruned', data, rank, {
      pruning,
      identicalTop10WithScores: `${identical}/${data.queries.length}`,
    });
  }

  async function lexicalRows(
    data: BeirData,
    sqlite: SqliteStore,
    pool: pg.Pool,
    sqliteSource: Map<number, string>,
    pgSource: Map<number, string>,
  ) {
    const t = performance.now();
    const index = buildBm25Index(sqlite.chunks.iterateSearchFields(COLLECTION));
    const buildMs = Math.round(performance.now() - t);
    const embedded: Rank10 = async (i) =>
      index.search((data.queries[i] as { text: string }).text, 10).map((h) => sqliteSource.get(h.rowid) ?? '');
    const sq = await measure('sqlite-bm25-embedded', data, embedded, { buildMs, params: index.params });
    const inPg: Rank10 = async (i) => {
      const { hits } = await searchBm25Pg(pool, {
        collectionId: COLLECTION,
        query: (data.queries[i] as { text: string }).text,
        k: 10,
      });
      return hits.map((h) => pgSource.get(h.id) ?? '');
    };
    let identical = 0;
    for (const q of data.queries) {
      const a = index.search(q.text, 10).map((h) => `${sqliteSource.get(h.rowid)}:${h.score}`);
      const b = (await searchBm25Pg(pool, { collectionId: COLLECTION, query: q.text, k: 10 })).hits.map(
        (h) => `${pgSource.get(h.id)}:${h.score}`,
      );
      if (a.join() === b.join()) identical++;
    }
    const pgRow = await measure('postgres-bm25', data, inPg, { identicalTop10WithScores: `${identical}/${data.queries.length}` });
    await prunedRow(data, index, pool, sqliteSource, pgSource);
    await throughput('postgres-bm25-4-clients', inPg, 4);
    await pool.query(`CREATE TABLE bench_tsv AS SELECT c.rowid, d.source,
        to_tsvector('simple', c.search_title || ' ' || c.search_text) AS simple,
        setweight(to_tsvector('english', c.search_title), 'A') || to_tsvector('english', c.search_text) AS english
      FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.collection_id = '${COLLECTION}';
      CREATE INDEX ON bench_tsv USING gin (simple); CREATE INDEX ON bench_tsv USING gin (english); ANALYZE bench_tsv;`);
    const tsRows: Row[] = [];
    for (const cfg of ['simple', 'english']) {
      // Any query word matches (OR), as BM25 does; an AND query (plainto_tsquery) finds nothing for most SciFact claims.
      const sql = `WITH q AS (SELECT (SELECT string_agg(quote_literal(l), ' | ') FROM unnest(tsvector_to_array(to_tsvector('${cfg}', $1))) l)::tsquery AS q)
        SELECT t.source FROM bench_tsv t, q WHERE t.${cfg} @@ q.q ORDER BY ts_rank_cd(t.${cfg}, q.q) DESC, t.rowid LIMIT 10`;
      const rank: Rank10 = async (i) =>
        (await pool.query<{ source: string }>(sql, [(data.queries[i] as { text: string }).text])).rows.map((r) => r.source);
      tsRows.push(
        await measure(
          `postgres-ts_rank_cd-${cfg}`,
          data,
          rank,
          {
            tsvector: cfg === 'simple' ? "to_tsvector('simple', title || ' ' || text)" : 'english, title weight A',
            query: 'OR of the query lexemes',
            passes: 1,
          },
          1,
        ),
      );
    }
    return { sq, pgRow, tsRows };
  }

  async function denseRows(
    data: BeirData,
    docVectors: Map<string, Float32Array>,
    queryVectors: Float32Array[],
    sqlite: SqliteStore,
    pool: pg.Pool,
    dataDir: string,
    modelId: string,
    sqliteSource: Map<number, string>,
    pgSource: Map<number, string>,
  ) {
    const exact = queryVectors.map((v) => exactTop(v, docVectors, 10));
    const rows: Row[] = [];
    const withRecall = async (name: string, rank: Rank10, extra: Record<string, unknown>) => {
      let r = 0;
      for (let i = 0; i < queryVectors.length; i++) r += recall(await rank(i), exact[i] as string[]);
      rows.push(await measure(name, data, rank, { recall10: round(r / queryVectors.length), ...extra }));
    };
    for (const kind of ['auto', 'hnsw'] as const) {
      const ann = createAnnManager({
        store: sqlite,
        dataDir,
        config: { ...config.index, kind },
        logger: createLogger({ level: 'error' }),
        builds: 'inline',
      });
      const index = await ann.get(COLLECTION, modelId);
      if (!index) throw new Error('no SQLite vector index');
      await withRecall(
        `sqlite-dense-${kind}`,
        async (i) => index.search(queryVectors[i] as Float32Array, 10).map((h) => sqliteSource.get(h.label) ?? ''),
        {
          kind:
            kind === 'auto' ? `auto (${data.corpus.length} < autoFlatBelow ${config.index.autoFlatBelow}: flat, exact)` : 'hnsw',
        },
      );
      await ann.close();
    }
    const { efSearch, m, efConstruction } = config.store.pgvector;
    const inPg: Rank10 = async (i) =>
      (
        await searchDensePg(pool, { collectionId: COLLECTION, modelId, vector: queryVectors[i] as Float32Array, k: 10, efSearch })
      ).map((h) => pgSource.get(h.id) ?? '');
    await withRecall('postgres-dense-hnsw', inPg, { m, efConstruction, efSearch });
    await throughput('postgres-dense-hnsw-4-clients', inPg, 4);
    return rows;
  }

  async function hybridRow(
    name: string,
    data: BeirData,
    retrieve: (i: number) => Promise<[Ranked[], Ranked[]]>,
    source: Map<number, string>,
  ) {
    const latencies: number[] = [];
    let ndcg = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, q] of data.queries.entries()) {
        const t = performance.now();
        const [lex, dense] = await retrieve(i);
        const fused = convexCombination(lex, dense, config.retrieval.convexWeight).slice(0, 10);
        if (pass === 1) latencies.push(performance.now() - t);
        else
          ndcg += ndcgAt(
            fused.map((f) => source.get(f.id) ?? ''),
            data.qrels.get(q.id) ?? new Map(),
            10,
          );
      }
    }
    return report({
      name,
      p50: round(percentile(latencies, 50), 3),
      p95: round(percentile(latencies, 95), 3),
      ndcg10: round(ndcg / data.queries.length),
      depth: DEPTH,
    });
  }

  async function runSearch(
    data: BeirData,
    docVectors: Map<string, Float32Array>,
    queryVectors: Float32Array[],
    sqlite: SqliteStore,
    pool: pg.Pool,
    dataDir: string,
    modelId: string,
  ) {
    const sqliteSource = new Map<number, string>();
    for (const c of sqlite.chunks.iterateSearchFields(COLLECTION))
      sqliteSource.set(c.rowid, sqlite.chunks.getByRowid(c.rowid)?.documentId.slice(COLLECTION.length + 1) ?? '');
    const pgSource = new Map<number, string>();
    const mapped = await pool.query<{ rowid: string; source: string }>(
      'SELECT c.rowid, d.source FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.collection_id = $1',
      [COLLECTION],
    );
    for (const r of mapped.rows) pgSource.set(Number(r.rowid), r.source);
    const lexical = await lexicalRows(data, sqlite, pool, sqliteSource, pgSource);
    const dense = await denseRows(data, docVectors, queryVectors, sqlite, pool, dataDir, modelId, sqliteSource, pgSource);
    const bm25 = buildBm25Index(sqlite.chunks.iterateSearchFields(COLLECTION));
    const ann = createAnnManager({
      store: sqlite,
      dataDir,
      config: config.index,
      logger: createLogger({ level: 'error' }),
      builds: 'inline',
    });
    const annIndex = await ann.get(COLLECTION, modelId);
    const text = (i: number) => (data.queries[i] as { text: string }).text;
    const sqHybrid = await hybridRow(
      'sqlite-hybrid-retrieval-ms',
      data,
      async (i) => {
        const lex = bm25.search(text(i), DEPTH).map((h) => ({ id: h.rowid, score: h.score }));
        const dense = (annIndex?.search(queryVectors[i] as Float32Array, DEPTH) ?? []).map((h) => ({
          id: h.label,
          score: h.score,
        }));
        return [lex, dense];
      },
      sqliteSource,
    );
    await ann.close();
    const pgHybrid = await hybridRow(
      'postgres-hybrid-retrieval-ms',
      data,
      async (i) => {
        const [lex, dense] = await Promise.all([
          searchBm25Pg(pool, { collectionId: COLLECTION, query: text(i), k: DEPTH }),
          searchDensePg(pool, {
            collectionId: COLLECTION,
            modelId,
            vector: queryVectors[i] as Float32Array,
            k: DEPTH,
            efSearch: config.store.pgvector.efSearch,
          }),
        ]);
        return [lex.hits, dense];
      },
      pgSource,
    );
    const get = (rows: Row[], name: string) =>
      rows.find((r) => r.name === name) as unknown as { qps: number; recall10: number; chunksPerSecond: number };
    const ingestRow = (name: string) => get(results, name).chunksPerSecond;
    const denseSq = get(dense, 'sqlite-dense-auto');
    const densePg = get(dense, 'postgres-dense-hnsw');
    const ratios: Record<string, number> = {
      bm25_ndcg10_postgres_minus_sqlite: round((lexical.pgRow.ndcg10 as number) - (lexical.sq.ndcg10 as number)),
      ts_rank_cd_simple_ndcg10_minus_sqlite_bm25: round((lexical.tsRows[0]?.ndcg10 as number) - (lexical.sq.ndcg10 as number)),
      bm25_qps_postgres_vs_sqlite: round((lexical.pgRow.qps as number) / (lexical.sq.qps as number), 3),
      dense_qps_postgres_vs_sqlite_auto: round(densePg.qps / denseSq.qps, 3),
      dense_qps_postgres_vs_sqlite_hnsw: round(densePg.qps / get(dense, 'sqlite-dense-hnsw').qps, 3),
      dense_recall10_postgres_minus_sqlite_auto: round(densePg.recall10 - denseSq.recall10),
      hybrid_p50_postgres_vs_sqlite: round((pgHybrid.p50 as number) / (sqHybrid.p50 as number), 3),
      ingest_postgres_1_instance_vs_sqlite: round(ingestRow('postgres-ingest-1-instance') / ingestRow('sqlite-ingest'), 3),
      ingest_postgres_2_vs_1_instance: round(
        ingestRow('postgres-ingest-2-instances') / ingestRow('postgres-ingest-1-instance'),
        3,
      ),
    };
    return ratios;
  }

  return { runSearch };
}
