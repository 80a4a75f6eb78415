import { z } from 'zod';

/** The `store` section of the config: which database holds the data (core/config.ts composes it). */
/** The PostgreSQL URL schemes store.url accepts (besides `sqlite:`, the embedded store in dataDir). */
const DATABASE_URL = /^postgres(ql)?:\/\//;

/** A host in the URL, or libpq's `?host=` (a Unix socket folder). */
function namesHost(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.hostname !== '' || parsed.searchParams.has('host');
}

export const storeSchema = z.strictObject({
  /** Unset or `sqlite:` = the embedded SQLite store in dataDir; `postgres://…` = PostgreSQL ≥ 15 with pgvector ≥ 0.8. */
  url: z
    .string()
    .nullable()
    .default(null)
    .refine((url) => url === null || url === 'sqlite:' || (DATABASE_URL.test(url) && namesHost(url)), {
      message: 'must be sqlite: or a postgres:// (postgresql://) URL with a host',
    }),
  /** Connections per instance to PostgreSQL. */
  poolSize: z.number().int().positive().max(1000).default(10),
  /** pgvector HNSW on PostgreSQL: m and efConstruction when a model's index is built, efSearch per query (retrieval/postgres/dense.ts). */
  pgvector: z
    .strictObject({
      m: z.number().int().min(2).max(100).default(16),
      efConstruction: z.number().int().min(4).max(1000).default(64),
      efSearch: z.number().int().min(1).max(1000).default(100),
    })
    .default({ m: 16, efConstruction: 64, efSearch: 100 }),
});
