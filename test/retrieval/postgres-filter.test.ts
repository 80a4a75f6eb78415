import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveFilter } from '../../retrieval/filter.ts';
import { filterCondition, SqlParams } from '../../retrieval/postgres/index.ts';
import type { SearchFilter } from '../../retrieval/types.ts';
import { openStore, type Store } from '../../store/index.ts';
import { createPostgresStore, type PostgresStore } from '../../store/postgres/index.ts';
import { makeDocument } from '../store/fixtures.ts';
import { createTestDatabase, describePostgres, type TestDatabase } from './postgres-fixtures.ts';

const C = 'filters';

const DOCS: { source: string; mime?: string; language?: string; tags?: string[]; metadata?: Record<string, unknown> }[] = [
  { source: 'a.md', mime: 'text/markdown', tags: ['x'], metadata: { year: 2020, kind: 'home', flag: true } },
  { source: 'b.md', mime: 'text/markdown', language: 'de', metadata: { year: 2024, nested: { level: 2 }, name: 'beta' } },
  { source: 'docs/intro.md', mime: 'text/markdown', tags: ['y', 'x'], metadata: { year: 2021.5, kind: 'work' } },
  { source: 'docs/deep/guide.md', tags: ['z'], metadata: { nested: { level: 5 }, name: 'alpha' } },
  { source: 'docs/deep/data.txt', metadata: { year: '2022', flag: false } },
  { source: 'notes/a1.txt', language: 'fr', metadata: { kind: 'home' } },
  { source: 'notes/ab.txt' },
  { source: '.hidden.md' },
  { source: 'https://example.com/page', mime: 'text/html' },
  { source: 'https://example.com/x/y.html', mime: 'text/html', tags: ['web'] },
  { source: 'exact/source.pdf', mime: 'application/pdf' },
];

const FILTERS: SearchFilter[] = [
  { source: '*.md' },
  { source: 'docs/**' },
  { source: 'docs/**/*.md' },
  { source: '**/*.txt' },
  { source: 'notes/a?.txt' },
  { source: '{a,b}.md' },
  { source: '!(*.md)' },
  { source: '[ab]*.md' },
  { source: 'https://example.com/**' },
  { source: 'exact/source.pdf' },
  { source: '*.pdf' },
  { mime: 'text/markdown' },
  { mime: ['text/html', 'application/pdf'] },
  { language: 'de' },
  { language: ['en', 'fr'] },
  { tags: ['x'] },
  { tags: ['z', 'web'] },
  { metadata: { year: 2020 } },
  { metadata: { year: { gte: 2021 } } },
  { metadata: { year: { gt: 2020, lt: 2024 } } },
  { metadata: { 'nested.level': { lt: 3 } } },
  { metadata: { kind: { in: ['home', 'work'] } } },
  { metadata: { kind: 'home', year: 2020 } },
  { metadata: { flag: true } },
  { metadata: { name: { gt: 'alpha' } } },
  { created: { from: '2000-01-01' } },
  { created: { to: '2000-01-01' } },
  { updated: { from: '2000-01-01', to: '2999-12-31' } },
  { source: 'docs/**', tags: ['x'], mime: 'text/markdown' },
];

async function pgChunkIds(pg: PostgresStore, filter: SearchFilter): Promise<string[]> {
  const p = new SqlParams([C]);
  const condition = filterCondition(filter, 'c.rowid', p);
  const { rows } = await pg.pool.query<{ id: string }>(
    `SELECT c.id FROM chunks c WHERE c.collection_id = $1 AND ${condition ?? 'true'} ORDER BY c.id`,
    p.values,
  );
  return rows.map((r) => r.id);
}

function sqliteChunkIds(store: Store, filter: SearchFilter): string[] {
  const allowed = resolveFilter(store, C, filter) ?? new Set<number>();
  return [...allowed].map((rowid) => store.chunks.getByRowid(rowid)?.id ?? '').sort();
}

describePostgres('search filters pushed into PostgreSQL', () => {
  let tdb: TestDatabase;
  let pg: PostgresStore;
  let sqlite: Store;
  let dataDir: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('cairn_filter');
    pg = createPostgresStore(tdb.pool);
    dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-filter-'));
    sqlite = openStore({ dataDir });
    sqlite.collections.create({ name: C });
    await pg.collections.create({ name: C });
    for (const d of DOCS) {
      const { doc, chunks } = makeDocument(C, d.source, `first part of ${d.source}\n\nsecond part`);
      const full = {
        ...doc,
        mime: d.mime ?? 'text/plain',
        language: d.language ?? 'en',
        tags: d.tags ?? [],
        metadata: d.metadata ?? {},
      };
      sqlite.documents.write(full, chunks);
      await pg.documents.write(full, chunks);
    }
  });
  afterAll(async () => {
    sqlite?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await tdb?.drop();
  });

  it('allows the same chunks as the SQLite filter, filter by filter', async () => {
    for (const filter of FILTERS) {
      const expected = sqliteChunkIds(sqlite, filter);
      expect({ filter, ids: await pgChunkIds(pg, filter) }).toEqual({ filter, ids: expected });
    }
  });

  it('matches the documented cases: globs across folders, ranges with SQLite’s ordering (text after numbers), any of several tags', async () => {
    const sourcesOf = async (filter: SearchFilter) => {
      const p = new SqlParams([C]);
      const { rows } = await pg.pool.query<{ source: string }>(
        `SELECT DISTINCT d.source FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE c.collection_id = $1 AND ${filterCondition(filter, 'c.rowid', p)} ORDER BY d.source`,
        p.values,
      );
      return rows.map((r) => r.source);
    };
    expect(await sourcesOf({ source: 'docs/**/*.md' })).toEqual(['docs/deep/guide.md', 'docs/intro.md']);
    expect(await sourcesOf({ source: '*.md' })).toEqual(['.hidden.md', 'a.md', 'b.md', 'docs/deep/guide.md', 'docs/intro.md']);
    // 2021.5 and 2024, and the string "2022": SQLite sorts every string after every number.
    expect(await sourcesOf({ metadata: { year: { gte: 2021 } } })).toEqual(['b.md', 'docs/deep/data.txt', 'docs/intro.md']);
    expect(await sourcesOf({ metadata: { year: { lt: 2100 } } })).toEqual(['a.md', 'b.md', 'docs/intro.md']);
    expect(await sourcesOf({ tags: ['z', 'web'] })).toEqual(['docs/deep/guide.md', 'https://example.com/x/y.html']);
  });
});
