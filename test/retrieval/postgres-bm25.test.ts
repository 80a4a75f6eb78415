import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toSearchText } from '../../core/index.ts';
import { buildBm25Index, type LexicalDoc } from '../../retrieval/bm25-index.ts';
import { searchBm25Pg, writePostings } from '../../retrieval/postgres/index.ts';
import { analyze } from '../../retrieval/tokenize.ts';
import { createTestDatabase, describePostgres, insertDocument, type TestDatabase } from './postgres-fixtures.ts';

const C = 'bm25c';

interface Source {
  id: string;
  title: string;
  chunks: string[];
  tags?: string[];
  metadata?: Record<string, unknown>;
}

const CORPUS: Source[] = [
  { id: 'cats', title: 'Cats', chunks: ['The cat sat on the mat.', 'Cats chase mice; a cat naps all day.'], tags: ['pets'] },
  { id: 'dogs', title: 'Dogs and cats', chunks: ['Dogs chase cats in the park.', 'A dog is loyal.'], tags: ['pets', 'dogs'] },
  { id: 'mat', title: '', chunks: ['Mats, rugs and carpets cover floors.'], metadata: { year: 2020, kind: 'home' } },
  { id: 'ocean', title: 'Ocean', chunks: ['Whales swim in the ocean; the ocean is deep and cold.'], metadata: { year: 2024 } },
  { id: 'zh-cat', title: '猫', chunks: ['猫坐在垫子上。我们喜欢猫和狗。', '北京是中国的首都，猫在北京很常见。'], tags: ['zh'] },
  { id: 'zh-sea', title: '海洋', chunks: ['鲸鱼在海洋里游泳，海洋很深。'], tags: ['zh'] },
  { id: 'accents', title: 'Café', chunks: ['Crème brûlée at the café near the ocean.'] },
  { id: 'empty', title: '', chunks: ['the of and'] },
];

const QUERIES = ['cat', 'cats and dogs chase', 'ocean ocean whale', '猫', '北京的猫', '海洋', 'cafe creme', 'mat rug floor cat'];

/** The rows as the SQLite store writes them: the title and the text with CJK words spaced. */
function searchRows(source: Source) {
  return source.chunks.map((text) => ({ searchTitle: toSearchText(source.title), searchText: toSearchText(text) }));
}

async function ingest(db: pg.Pool, sources: Source[], live: Map<number, LexicalDoc & { doc: string }>, collectionId = C) {
  for (const source of sources) {
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const rows = searchRows(source);
      const rowids = await insertDocument(client, { collectionId, ...source }, rows);
      const postings = rowids.map((rowid, i) => ({
        rowid,
        collectionId,
        ...(rows[i] as { searchTitle: string; searchText: string }),
      }));
      await writePostings(client, postings);
      await client.query('COMMIT');
      for (const p of postings) live.set(p.rowid, { ...p, doc: source.id });
    } finally {
      client.release();
    }
  }
}

async function expectSameAsEmbedded(db: pg.Pool, live: Map<number, LexicalDoc>, allowed: Set<number> | null = null) {
  const index = buildBm25Index([...live.values()].sort((a, b) => a.rowid - b.rowid));
  for (const query of QUERIES) {
    for (const k of [3, 100]) {
      const expected = index.search(query, k, allowed).map((h) => ({ id: h.rowid, score: h.score }));
      const filter = allowed ? { documentIds: docsOf(live, allowed) } : undefined;
      const got = await searchBm25Pg(db, { collectionId: C, query, k, ...(filter ? { filter } : {}) });
      expect({ query, k, hits: got.hits }).toEqual({ query, k, hits: expected });
    }
  }
}

function docsOf(live: Map<number, LexicalDoc>, rowids: Set<number>): string[] {
  return [...new Set([...rowids].map((r) => (live.get(r) as LexicalDoc & { doc: string }).doc))];
}

async function stats(db: pg.Pool) {
  const { rows } = await db.query<{ docs: string; title_len: string; body_len: string }>(
    'SELECT sum(docs) AS docs, sum(title_len) AS title_len, sum(body_len) AS body_len FROM bm25_stats WHERE collection_id = $1',
    [C],
  );
  const row = rows[0] as { docs: string; title_len: string; body_len: string };
  return { docs: Number(row.docs), titleLen: Number(row.title_len), bodyLen: Number(row.body_len) };
}

function expectedStats(live: Map<number, LexicalDoc>) {
  let titleLen = 0;
  let bodyLen = 0;
  for (const doc of live.values()) {
    titleLen += analyze(doc.searchTitle).length;
    bodyLen += analyze(doc.searchText).length;
  }
  return { docs: live.size, titleLen, bodyLen };
}

describePostgres('BM25 inside PostgreSQL', () => {
  let tdb: TestDatabase;
  const live = new Map<number, LexicalDoc & { doc: string }>();

  beforeAll(async () => {
    tdb = await createTestDatabase('cairn_bm25');
    await ingest(tdb.pool, CORPUS, live);
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('returns the embedded index’s scores and order exactly, Chinese included', async () => {
    expect((await searchBm25Pg(tdb.pool, { collectionId: C, query: '猫', k: 10 })).hits.length).toBe(2);
    await expectSameAsEmbedded(tdb.pool, live);
  });

  it('keeps the statistics exact as chunks are inserted and deleted', async () => {
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
    await tdb.pool.query('DELETE FROM documents WHERE id = ANY($1)', [['cats', 'zh-sea']]);
    for (const [rowid, doc] of live) if (doc.doc === 'cats' || doc.doc === 'zh-sea') live.delete(rowid);
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
    await expectSameAsEmbedded(tdb.pool, live);
    await ingest(tdb.pool, [{ id: 'more-cats', title: 'Cat care', chunks: ['Feed the cat twice a day.', '猫需要水。'] }], live);
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
    await expectSameAsEmbedded(tdb.pool, live);
  });

  it('keeps the statistics exact under concurrent writers', async () => {
    const extra: Source[] = Array.from({ length: 24 }, (_, i) => ({
      id: `w${i}`,
      title: i % 2 ? 'Ocean notes' : '',
      chunks: [`cat number ${i} sits near the ocean`, `海洋 ${i} 猫`],
    }));
    await Promise.all(
      [0, 1, 2, 3].map((w) =>
        ingest(
          tdb.pool,
          extra.filter((_, i) => i % 4 === w),
          live,
        ),
      ),
    );
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
    await expectSameAsEmbedded(tdb.pool, live);
  });

  it('keeps the statistics exact when deletes and inserts run at the same time', async () => {
    const doomed = [...new Set([...live.values()].filter((d) => d.doc.startsWith('w')).map((d) => d.doc))];
    const fresh: Source[] = Array.from({ length: 12 }, (_, i) => ({
      id: `f${i}`,
      title: 'Fresh',
      chunks: [`fresh cat ${i}`, '新的猫'],
    }));
    await Promise.all([
      ...doomed.map((id) => tdb.pool.query('DELETE FROM documents WHERE id = $1', [id])),
      ingest(tdb.pool, fresh.slice(0, 6), live),
      ingest(tdb.pool, fresh.slice(6), live),
    ]);
    for (const [rowid, doc] of live) if (doomed.includes(doc.doc)) live.delete(rowid);
    expect(doomed.length).toBe(24);
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
    await expectSameAsEmbedded(tdb.pool, live);
  });

  it('searches inside a filter with the unfiltered statistics, as the embedded index does', async () => {
    const allowed = new Set([...live].filter(([, d]) => d.doc === 'dogs' || d.doc.startsWith('zh')).map(([r]) => r));
    await expectSameAsEmbedded(tdb.pool, live, allowed);
    const tagged = await searchBm25Pg(tdb.pool, { collectionId: C, query: 'cat 猫', k: 10, filter: { tags: ['dogs'] } });
    expect(tagged.hits.map((h) => live.get(h.id)?.doc)).toEqual(['dogs', 'dogs']);
    const recent = await searchBm25Pg(tdb.pool, {
      collectionId: C,
      query: 'ocean mat',
      k: 10,
      filter: { metadata: { year: { gte: 2021 } } },
    });
    expect(recent.hits.map((h) => live.get(h.id)?.doc)).toEqual(['ocean']);
  });

  it('drops a deleted collection’s statistics with it', async () => {
    await ingest(tdb.pool, [{ id: 'other-1', title: '', chunks: ['cat'] }], new Map(), 'other');
    const count = async (collection: string) =>
      Number((await tdb.pool.query('SELECT count(*) AS n FROM bm25_stats WHERE collection_id = $1', [collection])).rows[0]?.n);
    expect(await count('other')).toBe(1);
    await tdb.pool.query("DELETE FROM collections WHERE id = 'other'");
    expect([
      await count('other'),
      (await tdb.pool.query("SELECT count(*)::int AS n FROM bm25_postings WHERE collection_id = 'other'")).rows[0]?.n,
    ]).toEqual([0, 0]);
    expect(await stats(tdb.pool)).toEqual(expectedStats(live));
  });

  it('reports a query without searchable words, and an empty collection', async () => {
    expect(await searchBm25Pg(tdb.pool, { collectionId: C, query: 'the of, and!', k: 5 })).toEqual({ hits: [], noTerms: true });
    expect(await searchBm25Pg(tdb.pool, { collectionId: 'nothing-here', query: 'cat', k: 5 })).toEqual({
      hits: [],
      noTerms: false,
    });
  });
});
