import type pg from 'pg';

/**
 * What the server's pgvector can do, read once per pool: iterative index scans
 * (`hnsw.iterative_scan`) arrived in 0.8.0; before them an HNSW scan under a selective filter
 * returns fewer than k rows.
 */
export interface PgvectorSupport {
  /** Installed extension version, or null when pgvector is not installed in this database. */
  version: string | null;
  iterativeScan: boolean;
}

const cache = new WeakMap<object, Promise<PgvectorSupport>>();

/** Whether version a.b.c is at least major.minor. */
export function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return a > major || (a === major && b >= minor);
}

export function pgvectorSupport(db: pg.Pool): Promise<PgvectorSupport> {
  let support = cache.get(db);
  if (!support) {
    support = db
      .query<{ version: string }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'")
      .then(({ rows }) => {
        const version = rows[0]?.version ?? null;
        return { version, iterativeScan: version !== null && atLeast(version, 0, 8) };
      });
    // A failed read is retried on the next search rather than remembered.
    support.catch(() => cache.delete(db));
    cache.set(db, support);
  }
  return support;
}
