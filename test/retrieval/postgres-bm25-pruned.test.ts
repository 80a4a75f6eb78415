import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildBm25Index, type LexicalDoc } from '../../retrieval/bm25-index.ts';
import { type Bm25Plan, type Bm25Pruning, searchBm25Pg } from '../../retrieval/postgres/bm25.ts';
import { writePostings } from '../../retrieval/postgres/index.ts';
import { createTestDatabase, describePostgres, insertDocument, type TestDatabase } from './postgres-fixtures.ts';

/*
 * The pruned path of BM25 inside PostgreSQL (MaxScore over bm25_terms' document frequencies) must
 * return exactly the exact path's hits: the same chunks, scores and order as the embedded index.
 */
const ALWAYS_PRUNE: Bm25Pruning = { exactBelow: 0, budget: 30, leaders: 3 };

function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SYLLABLES = ['ba', 'do', 'ki', 'mu', 'po', 'ta', 'vi', 'zo', 'ne', 'lu'];
/** Made-up words the analyzer keeps as they are (no stopword, no stem). */
const WORDS = SYLLABLES.flatMap((a) => SYLLABLES.map((b) => `${a}${b}r`));

/** A word drawn with Zipf's law over WORDS, so queries mix rare and common terms. */
function zipfWord(random: () => number, from = 0): string {
  const harmonic = WORDS.reduce((sum, _, r) => sum + 1 / (r + 1), 0);
  let x = random() * harmonic;
  for (let r = 0; r < WORDS.length; r++) {
    x -= 1 / (r + 1);
    if (x <= 0) return WORDS[(r + from) % WORDS.length] as string;
  }
  return WORDS[WORDS.length - 1] as string;
}

const words = (random: () => number, count: number, from = 0) =>
  Array.from({ length: count }, () => zipfWord(random, from)).join(' ');

interface Doc {
  id: string;
  chunks: { searchTitle: string; searchText: string }[];
}

function generated(): Doc[] {
  const random = createRandom(7);
  return Array.from({ length: 40 }, (_, d) => ({
    id: `g${d}`,
    chunks: Array.from({ length: 10 }, () => ({
      searchTitle: random() < 0.3 ? words(random, 2) : '',
      searchText: words(random, 5 + Math.floor(random() * 30)),
    })),
  }));
}

type Live = Map<number, LexicalDoc & { doc: string }>;

async function ingest(db: pg.Pool, collectionId: string, docs: Doc[], live: Live): Promise<void> {
  for (const doc of docs) {
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const rowids = await insertDocument(client, { collectionId, id: doc.id }, doc.chunks);
      const rows = rowids.map((rowid, i) => ({ rowid, collectionId, ...(doc.chunks[i] as Doc['chunks'][number]) }));
      await writePostings(client, rows);
      await client.query('COMMIT');
      for (const row of rows) live.set(row.rowid, { ...row, doc: doc.id });
    } finally {
      client.release();
    }
  }
}

function embedded(live: Live, query: string, k: number, allowed: Set<number> | null = null) {
  const index = buildBm25Index([...live.values()].sort((a, b) => a.rowid - b.rowid));
  return index.search(query, k, allowed).map((h) => ({ id: h.rowid, score: h.score }));
}

async function pruned(
  db: pg.Pool,
  collectionId: string,
  query: string,
  k: number,
  documentIds?: string[],
  pruning = ALWAYS_PRUNE,
) {
  const plans: Bm25Plan[] = [];
  const filter = documentIds ? { filter: { documentIds } } : {};
  const onPlan = (plan: Bm25Plan) => plans.push(plan);
  const { hits } = await searchBm25Pg(db, { collectionId, query, k, pruning, onPlan, ...filter });
  return { hits, plan: plans[0] as Bm25Plan };
}

/** The first round reads the rarest term only. */
const RARE_FIRST: Bm25Pruning = { exactBelow: 0, budget: 1, leaders: 3 };

/** The query that reads every posting (the path before 0004, equal to the embedded index). */
const NEVER_PRUNE: Bm25Pruning = { exactBelow: Number.POSITIVE_INFINITY, budget: 0, leaders: 0 };

/** Document frequencies as bm25_terms holds them (summed over slots) and as the postings count them. */
async function frequencies(db: pg.Pool) {
  const kept = await db.query<{ c: string; term: string; df: number }>(
    'SELECT collection_id AS c, term, sum(df)::int AS df FROM bm25_terms GROUP BY 1, 2 HAVING sum(df) <> 0 ORDER BY 1, 2',
  );
  const counted = await db.query<{ c: string; term: string; df: number }>(
    'SELECT collection_id AS c, term, count(*)::int AS df FROM bm25_postings GROUP BY 1, 2 ORDER BY 1, 2',
  );
  return { kept: kept.rows, counted: counted.rows };
}

describePostgres('BM25 inside PostgreSQL, pruned', () => {
  let tdb: TestDatabase;
  const live: Live = new Map();
  const random = createRandom(11);
  const queries = Array.from({ length: 40 }, (_, i) => words(random, 2 + (i % 5), i % 3 === 0 ? 40 : 0));

  beforeAll(async () => {
    tdb = await createTestDatabase('cairn_bm25p');
    await ingest(tdb.pool, 'gen', generated(), live);
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('returns the exact query’s hits (the embedded index’s scores), over rare and common terms, inside filters too', async () => {
    const paths: string[] = [];
    const allowed = new Set([...live].filter(([, d]) => Number(d.doc.slice(1)) % 4 === 0).map(([r]) => r));
    const documentIds = [...new Set([...allowed].map((r) => live.get(r)?.doc as string))];
    for (const query of queries) {
      for (const k of [1, 10, 50]) {
        for (const [ids, mask] of [
          [undefined, null],
          [documentIds, allowed],
        ] as const) {
          const got = await pruned(tdb.pool, 'gen', query, k, ids);
          const exact = await pruned(tdb.pool, 'gen', query, k, ids, NEVER_PRUNE);
          expect({ query, k, ids, hits: got.hits }).toEqual({ query, k, ids, hits: exact.hits });
          // Chunks that tie at the k-th score: the embedded index keeps the one its postings
          // reached first, PostgreSQL the lower rowid; the scores are the same.
          expect(got.hits.map((h) => h.score)).toEqual(embedded(live, query, k, mask).map((h) => h.score));
          if (!ids) paths.push(`${got.plan.path}:${Math.min(got.plan.attempts, 2)}`);
        }
      }
    }
    // Every round kind ran: pruned at once, pruned after a second round, and the exact fallback.
    expect(new Set(paths)).toEqual(new Set(['pruned:1', 'pruned:2', 'exact:0']));
  });

  it('keeps bm25_terms equal to the postings’ counts under concurrent writers and deletes', async () => {
    const random = createRandom(3);
    const more = Array.from({ length: 16 }, (_, d) => ({
      id: `m${d}`,
      chunks: Array.from({ length: 5 }, () => ({ searchTitle: '', searchText: words(random, 12) })),
    }));
    await Promise.all([
      ...[0, 1, 2, 3].map((w) =>
        ingest(
          tdb.pool,
          'gen',
          more.filter((_, i) => i % 4 === w),
          live,
        ),
      ),
      tdb.pool.query("DELETE FROM documents WHERE id IN ('g1', 'g2', 'g3')"),
    ]);
    for (const [rowid, d] of live) if (['g1', 'g2', 'g3'].includes(d.doc)) live.delete(rowid);
    const { kept, counted } = await frequencies(tdb.pool);
    expect(kept).toEqual(counted);
    expect(counted.length).toBeGreaterThan(90);
    for (const query of queries.slice(0, 10))
      expect((await pruned(tdb.pool, 'gen', query, 10)).hits).toEqual(embedded(live, query, 10));
  });

  it('reads every posting when parameters void the bound (b > 1 lets an impact exceed k1 + 1)', async () => {
    const plans: Bm25Plan[] = [];
    const query = queries[1] as string;
    const params = { k1: 1.2, b: 1.5, titleWeight: 3 };
    const onPlan = (plan: Bm25Plan) => plans.push(plan);
    await searchBm25Pg(tdb.pool, { collectionId: 'gen', query, k: 10, params, pruning: ALWAYS_PRUNE, onPlan });
    expect(plans.map((p) => [p.path, p.attempts])).toEqual([['exact', 0]]);
  });

  it('drops a deleted collection’s document frequencies with it', async () => {
    await ingest(tdb.pool, 'gone', [{ id: 'x1', chunks: [{ searchTitle: '', searchText: 'bador dodor' }] }], new Map());
    const count = async () =>
      Number((await tdb.pool.query("SELECT count(*) AS n FROM bm25_terms WHERE collection_id = 'gone'")).rows[0]?.n);
    expect(await count()).toBe(2);
    await tdb.pool.query("DELETE FROM collections WHERE id = 'gone'");
    expect(await count()).toBe(0);
  });

  /*
   * The chunk that matters holds only common terms, and no rare one: the first round (the rare
   * term's postings) cannot see it, and its bound (the common terms could still add up to more
   * than the k-th score of the rare term's chunks) sends the query to a second round that reads
   * the two rarer common terms in full and looks up the commonest one.
   */
  it('finds a chunk of common terms only that ranks first, after a second round', async () => {
    const filler = (i: number, n: number) => Array.from({ length: n }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' ');
    const chunks = [
      { searchTitle: '', searchText: 'alpha beta gamma alpha beta' },
      ...Array.from({ length: 19 }, (_, i) => ({ searchTitle: '', searchText: `alpha gamma ${filler(i, 8)}` })),
      ...Array.from({ length: 19 }, (_, i) => ({ searchTitle: '', searchText: `beta gamma ${filler(i + 20, 8)}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ searchTitle: '', searchText: `zebra ${filler(i + 40, 30)}` })),
      ...Array.from({ length: 58 }, (_, i) => ({ searchTitle: '', searchText: `${i % 3 ? 'gamma ' : ''}${filler(i + 50, 10)}` })),
    ];
    const mine: Live = new Map();
    await ingest(tdb.pool, 'common', [{ id: 'c', chunks }], mine);
    const special = Math.min(...mine.keys());
    for (const k of [1, 3]) {
      const got = await pruned(tdb.pool, 'common', 'zebra alpha beta gamma', k, undefined, RARE_FIRST);
      expect(got.hits).toEqual(embedded(mine, 'zebra alpha beta gamma', k));
      expect(got.hits[0]?.id).toBe(special);
      expect(got.plan).toEqual({ path: 'pruned', attempts: 2, postings: 43, queryPostings: 120 });
    }
  });
});
