import type pg from 'pg';
import type { Logger } from '../../core/index.ts';
import type { StoreContract } from '../../store/contract.ts';
import { contractPassageSource } from '../passages.ts';
import type { Retrievers } from '../retrievers.ts';
import type { SearchFilter } from '../types.ts';
import { searchBm25Pg } from './bm25.ts';
import { DEFAULT_PGVECTOR, ensureVectorIndex, type PgvectorParams, searchDensePg } from './dense.ts';
import { documentCondition, SqlParams } from './filter-sql.ts';

export interface PostgresRetrieversOptions {
  pool: pg.Pool;
  store: StoreContract;
  pgvector?: PgvectorParams;
  logger?: Logger;
}

/**
 * The empty set when a filter allows no chunk of the collection, so the search ends with the note
 * SQLite gives ("no chunks match the filter") instead of running both retrievers for nothing;
 * null otherwise: the filter itself goes into each retriever's query.
 */
async function noneMatch(pool: pg.Pool, collectionId: string, filter: SearchFilter | undefined): Promise<Set<number> | null> {
  const p = new SqlParams([collectionId]);
  const condition = documentCondition(filter, p);
  if (condition === null) return null;
  const { rows } = await pool.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM documents d WHERE d.collection_id = $1 AND ${condition}
       AND EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)) AS any`,
    p.values,
  );
  return rows[0]?.any ? null : new Set();
}

/**
 * Search inside PostgreSQL: BM25 over the postings table and pgvector HNSW, each with the
 * request's filter in its own WHERE clause, so no instance keeps an index of its own and a chunk
 * written by any instance is found by the next query of every other one.
 */
export function createPostgresRetrievers(options: PostgresRetrieversOptions): Retrievers {
  const { pool } = options;
  const params = options.pgvector ?? DEFAULT_PGVECTOR;
  const passages = contractPassageSource(options.store);
  // One index build per (model, dimensions) and process; the advisory lock inside makes it one across instances.
  const building = new Map<string, Promise<unknown>>();

  /**
   * Starts the model's HNSW build if it is missing and returns at once: until the index is valid
   * the planner answers the same query with an exact scan, slower but exact.
   */
  const ensureIndex = (modelId: string, dimensions: number) => {
    const key = `${modelId}\u0000${dimensions}`;
    if (building.has(key)) return;
    const started = ensureVectorIndex(pool, modelId, dimensions, params).catch((error: Error) => {
      options.logger?.warn(`pgvector index for ${modelId} (${dimensions}): ${error.message}`);
      building.delete(key);
    });
    building.set(key, started);
  };

  return {
    resolveFilter: (collectionId, filter) => noneMatch(pool, collectionId, filter),
    lexical: (q) =>
      searchBm25Pg(pool, { collectionId: q.collectionId, query: q.query, k: q.k, ...(q.filter ? { filter: q.filter } : {}) }),
    async dense(collectionId, modelId) {
      const { rows } = await pool.query<{ dimensions: number }>(
        'SELECT dimensions FROM vectors WHERE collection_id = $1 AND model_id = $2 LIMIT 1',
        [collectionId, modelId],
      );
      const dimensions = rows[0]?.dimensions;
      if (dimensions === undefined) return null;
      ensureIndex(modelId, dimensions);
      return {
        search: (q) =>
          searchDensePg(pool, {
            collectionId,
            modelId,
            vector: q.vector,
            k: q.k,
            efSearch: params.efSearch,
            ...(q.filter ? { filter: q.filter } : {}),
          }),
      };
    },
    rows: passages.rows,
    neighbours: passages.neighbours,
  };
}
