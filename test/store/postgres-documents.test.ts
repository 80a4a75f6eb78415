import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { makeDocument } from './fixtures.ts';
import { describePostgres, useTestDatabase } from './postgres-helpers.ts';

describePostgres('PostgreSQL documents.write', () => {
  const url = useTestDatabase('cairn_docs');
  let a: PostgresStore;
  let b: PostgresStore;
  beforeAll(async () => {
    a = await openPostgresStore({ url: url(), poolSize: 4 });
    b = await openPostgresStore({ url: url(), poolSize: 4 });
    await a.collections.create({ name: 'c' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const count = async (sql: string) => (await a.pool.query<{ n: number }>(sql)).rows[0]?.n;

  it('writes BM25 postings with the chunks in the same transaction; a rewrite and a delete take them away', async () => {
    const first = makeDocument('c', 'p.txt', 'alpha beta\n\nbeta gamma');
    const written = await a.documents.write(first.doc, first.chunks);
    expect(await count('SELECT count(*)::int AS n FROM bm25_docs')).toBe(2);
    expect(await count("SELECT count(*)::int AS n FROM bm25_postings WHERE term = 'beta'")).toBe(2);
    const second = makeDocument('c', 'p.txt', 'delta');
    await a.documents.write(second.doc, second.chunks);
    const docs = await a.pool.query<{ chunk_rowid: number }>('SELECT chunk_rowid FROM bm25_docs ORDER BY chunk_rowid');
    expect(docs.rows.map((r) => r.chunk_rowid)).toEqual([(written.chunkRowids[1] as number) + 1]);
    expect(await count("SELECT count(*)::int AS n FROM bm25_postings WHERE term = 'beta'")).toBe(0);
    await a.documents.remove(second.doc.id);
    expect([
      await count('SELECT count(*)::int AS n FROM bm25_docs'),
      await count('SELECT count(*)::int AS n FROM bm25_postings'),
    ]).toEqual([0, 0]);
  });

  it('stores U+0000 (which PostgreSQL text cannot hold) as U+FFFD, keeping chunk offsets exact', async () => {
    const { doc, chunks } = makeDocument('c', 'nul.txt', 'a\u0000b\n\nc');
    const { document } = await a.documents.write({ ...doc, metadata: { note: 'x\u0000y' } }, chunks);
    const [first] = await a.chunks.byDocument(doc.id);
    expect([document.text, document.metadata, first?.text]).toEqual(['a\uFFFDb\n\nc', { note: 'x\uFFFDy' }, 'a\uFFFDb']);
    expect(document.text.slice(first?.start, first?.end)).toBe(first?.text);
    await a.documents.remove(doc.id);
  });

  it('two instances rewriting one document at once: no error, and one whole version stays', async () => {
    const versions = Array.from({ length: 8 }, (_, i) => makeDocument('c', 'same.txt', `v${i} one\n\nv${i} two\n\nv${i} three`));
    const results = await Promise.all(versions.map((v, i) => (i % 2 ? a : b).documents.write(v.doc, v.chunks)));
    expect(results.filter((r) => !r.replaced).length).toBe(1);
    const chunks = await a.chunks.byDocument(versions[0]?.doc.id as string);
    const prefix = chunks[0]?.text.split(' ')[0];
    expect(chunks.map((c) => c.text)).toEqual([`${prefix} one`, `${prefix} two`, `${prefix} three`]);
    expect((await a.documents.get(versions[0]?.doc.id as string))?.chunkCount).toBe(3);
    // Postings of the replaced versions went with their chunks: only the surviving version's three remain.
    expect(await count('SELECT count(*)::int AS n FROM bm25_docs')).toBe(3);
  });
});
