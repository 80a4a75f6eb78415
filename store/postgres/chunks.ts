import type pg from 'pg';
import type { Chunk } from '../../core/index.ts';
import { CHUNK_COLUMNS, type ChunkRow, type ChunksRepo, type StoredVector, toChunk, type VectorsRepo } from '../chunks.ts';
import type { Async, EmbeddedOnlyChunkMethods, EmbeddedOnlyVectorMethods } from '../contract.ts';
import { insertVectors } from './documents.ts';
import { inTransaction, many, one, parseVector } from './pool.ts';

const count = async (pool: pg.Pool, sql: string, params: unknown[]): Promise<number> =>
  (await one<{ n: number }>(pool, sql, params))?.n ?? 0;

export function createPgChunksRepo(pool: pg.Pool): Async<Omit<ChunksRepo, EmbeddedOnlyChunkMethods>> {
  /** Chunks by rowid, in the order asked; missing rowids are skipped. */
  async function getMany(rowids: number[]): Promise<Chunk[]> {
    if (rowids.length === 0) return [];
    const rows = await many<ChunkRow>(pool, `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE rowid = ANY($1::bigint[])`, [rowids]);
    const found = new Map(rows.map((row) => [row.rowid, toChunk(row)]));
    return rowids.flatMap((rowid) => {
      const chunk = found.get(rowid);
      return chunk ? [chunk] : [];
    });
  }

  return {
    byDocument: async (documentId: string) =>
      (
        await many<ChunkRow>(pool, `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE document_id = $1 ORDER BY ordinal`, [documentId])
      ).map(toChunk),
    get: async (id: string) => {
      const row = await one<ChunkRow>(pool, `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE id = $1`, [id]);
      return row ? toChunk(row) : null;
    },
    getMany,
    neighbours: async (documentId: string, from: number, to: number) =>
      (
        await many<ChunkRow>(
          pool,
          `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE document_id = $1 AND ordinal BETWEEN $2 AND $3 ORDER BY ordinal`,
          [documentId, from, to],
        )
      ).map(toChunk),
    count: (collectionId: string) => count(pool, 'SELECT count(*) AS n FROM chunks WHERE collection_id = $1', [collectionId]),
    /** Chunks of a collection that have no vector for the model: what `cairn reindex` embeds. */
    pendingForModel: async (collectionId: string, modelId: string, limit = 1000) =>
      (
        await many<ChunkRow>(
          pool,
          `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.collection_id = $1
           AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.rowid = c.rowid AND v.model_id = $2) ORDER BY c.rowid LIMIT $3`,
          [collectionId, modelId, limit],
        )
      ).map(toChunk),
  };
}

export function createPgVectorsRepo(pool: pg.Pool): Async<Omit<VectorsRepo, EmbeddedOnlyVectorMethods>> {
  return {
    /** Writes vectors for existing chunks in one transaction (replacing one the chunk has for the model). */
    put: async (collectionId: string, modelId: string, items: StoredVector[]) => {
      // One statement per dimension count: the table holds vectors of any size, each row says its own.
      const byDims = new Map<number, StoredVector[]>();
      for (const item of items) {
        const group = byDims.get(item.vector.length);
        if (group) group.push(item);
        else byDims.set(item.vector.length, [item]);
      }
      await inTransaction(pool, async (client) => {
        for (const [dimensions, group] of byDims) {
          const vectors = { modelId, dimensions, vectors: group.map((g) => g.vector) };
          await insertVectors(
            client,
            collectionId,
            group.map((g) => g.rowid),
            vectors,
            true,
          );
        }
      });
    },
    get: async (rowid: number, modelId: string) => {
      const row = await one<{ e: string }>(pool, 'SELECT embedding::text AS e FROM vectors WHERE rowid = $1 AND model_id = $2', [
        rowid,
        modelId,
      ]);
      return row ? parseVector(row.e) : null;
    },
    /** Vectors of one model for many chunks (missing ones are absent). */
    getMany: async (rowids: number[], modelId: string) => {
      const rows = await many<{ rowid: number; e: string }>(
        pool,
        'SELECT rowid, embedding::text AS e FROM vectors WHERE model_id = $1 AND rowid = ANY($2::bigint[])',
        [modelId, rowids],
      );
      return new Map(rows.map((row) => [row.rowid, parseVector(row.e)]));
    },
    /**
     * Every vector of a (collection, model), in rowid order. The contract asks for a synchronous
     * generator, so the rows are read whole first (memory grows with the collection).
     */
    iterate: async (collectionId: string, modelId: string) => {
      const rows = await many<{ rowid: number; e: string }>(
        pool,
        'SELECT rowid, embedding::text AS e FROM vectors WHERE collection_id = $1 AND model_id = $2 ORDER BY rowid',
        [collectionId, modelId],
      );
      return (function* (): Generator<StoredVector> {
        for (const row of rows) yield { rowid: row.rowid, vector: parseVector(row.e) };
      })();
    },
    count: (collectionId: string, modelId?: string) =>
      modelId === undefined
        ? count(pool, 'SELECT count(*) AS n FROM vectors WHERE collection_id = $1', [collectionId])
        : count(pool, 'SELECT count(*) AS n FROM vectors WHERE collection_id = $1 AND model_id = $2', [collectionId, modelId]),
    /**
     * Models that have vectors in a collection, with their dimensions (one per model, as on
     * SQLite): a skip scan of the (collection, model) index from model to model, each counted in
     * the index, rather than a GROUP BY that visits every vector row.
     */
    models: (collectionId: string) =>
      many<{ modelId: string; dimensions: number; count: number }>(
        pool,
        `WITH RECURSIVE models(model_id) AS (
           SELECT min(model_id) FROM vectors WHERE collection_id = $1
           UNION ALL
           SELECT (SELECT min(model_id) FROM vectors WHERE collection_id = $1 AND model_id > models.model_id)
           FROM models WHERE models.model_id IS NOT NULL
         )
         SELECT m.model_id AS "modelId",
           (SELECT dimensions FROM vectors WHERE collection_id = $1 AND model_id = m.model_id LIMIT 1) AS dimensions,
           (SELECT count(*) FROM vectors WHERE collection_id = $1 AND model_id = m.model_id)::int AS count
         FROM models m WHERE m.model_id IS NOT NULL ORDER BY m.model_id`,
        [collectionId],
      ),
  };
}
