import type { Chunk } from '../core/index.ts';
import type { Db } from './database.ts';
import { blobToVector } from './documents.ts';
import { type JsonColumn, parseJson } from './rows.ts';

export interface ChunkRow {
  rowid: number;
  id: string;
  document_id: string;
  collection_id: string;
  ordinal: number;
  text: string;
  char_start: number;
  char_end: number;
  page: number | null;
  headings: JsonColumn;
  token_count: number;
  metadata: JsonColumn;
}

export const CHUNK_COLUMNS =
  'rowid, id, document_id, collection_id, ordinal, text, char_start, char_end, page, headings, token_count, metadata';

export function toChunk(row: ChunkRow): Chunk {
  return {
    id: row.id,
    rowid: row.rowid,
    documentId: row.document_id,
    collectionId: row.collection_id,
    ordinal: row.ordinal,
    text: row.text,
    start: row.char_start,
    end: row.char_end,
    page: row.page,
    headings: parseJson<string[]>(row.headings, []),
    tokenCount: row.token_count,
    metadata: parseJson<Record<string, unknown>>(row.metadata, {}),
  };
}

export interface StoredVector {
  rowid: number;
  vector: Float32Array;
}

export function createChunksRepo(db: Db) {
  const byDocument = db.prepare<[string], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE document_id = ? ORDER BY ordinal`);
  const byId = db.prepare<[string], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE id = ?`);
  const byRowid = db.prepare<[number], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE rowid = ?`);
  const removals = db.prepare<[], number>("SELECT value FROM store_counters WHERE name = 'chunks_removed'").pluck();
  const neighbours = db.prepare<[string, number, number], ChunkRow>(
    `SELECT ${CHUNK_COLUMNS} FROM chunks WHERE document_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal`,
  );

  /** Chunks by rowid, in the order asked; missing rowids are skipped. */
  function getMany(rowids: number[]): Chunk[] {
    if (rowids.length === 0) return [];
    const found = new Map<number, Chunk>();
    for (let i = 0; i < rowids.length; i += 500) {
      const slice = rowids.slice(i, i + 500);
      const rows = db
        .prepare<number[], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM chunks WHERE rowid IN (${slice.map(() => '?').join(',')})`)
        .all(...slice);
      for (const row of rows) found.set(row.rowid, toChunk(row));
    }
    return rowids.flatMap((rowid) => {
      const chunk = found.get(rowid);
      return chunk ? [chunk] : [];
    });
  }

  return {
    byDocument: (documentId: string): Chunk[] => byDocument.all(documentId).map(toChunk),
    get: (id: string): Chunk | null => {
      const row = byId.get(id);
      return row ? toChunk(row) : null;
    },
    getByRowid: (rowid: number): Chunk | null => {
      const row = byRowid.get(rowid);
      return row ? toChunk(row) : null;
    },
    getMany,
    neighbours: (documentId: string, from: number, to: number): Chunk[] => neighbours.all(documentId, from, to).map(toChunk),
    count: (collectionId: string): number =>
      (db.prepare('SELECT count(*) AS n FROM chunks WHERE collection_id = ?').get(collectionId) as { n: number }).n,
    /** Rowids of a collection's chunks up to a rowid (what an in-memory index compares to find removed chunks). */
    rowidsUpTo: (collectionId: string, maxRowid: number): number[] =>
      db
        .prepare<[string, number], number>('SELECT rowid FROM chunks WHERE collection_id = ? AND rowid <= ?')
        .pluck()
        .all(collectionId, maxRowid),
    /** Count and highest rowid of a collection's chunks: rowids are AUTOINCREMENT and chunks are replaced, never edited, so any change moves one of them (what in-memory indexes compare). */
    changeStamp: (collectionId: string): { count: number; maxRowid: number } =>
      db
        .prepare('SELECT count(*) AS count, coalesce(max(rowid), 0) AS maxRowid FROM chunks WHERE collection_id = ?')
        .get(collectionId) as { count: number; maxRowid: number },
    /** Every chunk of a collection, streamed in rowid order with its lexical fields (for in-memory indexes). */
    *iterateSearchFields(
      collectionId: string,
      afterRowid = 0,
    ): Generator<{ rowid: number; searchTitle: string; searchText: string }> {
      const stmt = db.prepare<[string, number], { rowid: number; search_title: string; search_text: string }>(
        'SELECT rowid, search_title, search_text FROM chunks WHERE collection_id = ? AND rowid > ? ORDER BY rowid',
      );
      for (const row of stmt.iterate(collectionId, afterRowid)) {
        yield { rowid: row.rowid, searchTitle: row.search_title, searchText: row.search_text };
      }
    },
    /** How many chunk rows were ever deleted: a row cache drops what it holds when this moves. */
    removals: (): number => removals.get() ?? 0,
    /** Chunks of a collection that have no vector for the model: what `cairn reindex` embeds. */
    pendingForModel: (collectionId: string, modelId: string, limit = 1000): Chunk[] =>
      db
        .prepare<[string, string, number], ChunkRow>(
          `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.collection_id = ?
           AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_rowid = c.rowid AND v.model_id = ?) ORDER BY c.rowid LIMIT ?`,
        )
        .all(collectionId, modelId, limit)
        .map(toChunk),
  };
}

export type ChunksRepo = ReturnType<typeof createChunksRepo>;

export function createVectorsRepo(db: Db) {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO vectors (chunk_rowid, collection_id, model_id, dimensions, vector) VALUES (?, ?, ?, ?, ?)',
  );
  // Each answered from the (collection_id, model_id) index alone, but for one row's dimensions.
  const vectorPage = db.prepare<[string, string, number, number, number], { chunk_rowid: number; vector: Buffer }>(
    'SELECT chunk_rowid, vector FROM vectors WHERE collection_id = ? AND model_id = ? AND chunk_rowid > ? AND chunk_rowid <= ? ORDER BY chunk_rowid LIMIT ?',
  );
  const lastVectorRowid = db
    .prepare<[string, string], number | null>('SELECT max(chunk_rowid) FROM vectors WHERE collection_id = ? AND model_id = ?')
    .pluck();
  const modelStatements = {
    first: db.prepare('SELECT min(model_id) AS m FROM vectors WHERE collection_id = ?'),
    after: db.prepare('SELECT min(model_id) AS m FROM vectors WHERE collection_id = ? AND model_id > ?'),
    dimensions: db.prepare('SELECT dimensions FROM vectors WHERE collection_id = ? AND model_id = ? LIMIT 1'),
    count: db.prepare('SELECT count(*) AS n FROM vectors WHERE collection_id = ? AND model_id = ?'),
  };
  return {
    /** Writes vectors for existing chunks in one transaction. */
    put: db.transaction((collectionId: string, modelId: string, items: StoredVector[]) => {
      for (const { rowid, vector } of items) {
        insert.run(rowid, collectionId, modelId, vector.length, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
      }
    }),
    get: (rowid: number, modelId: string): Float32Array | null => {
      const row = db.prepare('SELECT vector FROM vectors WHERE chunk_rowid = ? AND model_id = ?').get(rowid, modelId) as
        | { vector: Buffer }
        | undefined;
      return row ? blobToVector(row.vector) : null;
    },
    /** Vectors of one model for many chunks (missing ones are absent): ANN re-scoring and catch-up. */
    getMany: (rowids: number[], modelId: string): Map<number, Float32Array> => {
      const found = new Map<number, Float32Array>();
      for (let i = 0; i < rowids.length; i += 500) {
        const slice = rowids.slice(i, i + 500);
        const rows = db
          .prepare(
            `SELECT chunk_rowid, vector FROM vectors WHERE model_id = ? AND chunk_rowid IN (${slice.map(() => '?').join(',')})`,
          )
          .all(modelId, ...slice) as { chunk_rowid: number; vector: Buffer }[];
        for (const row of rows) found.set(row.chunk_rowid, blobToVector(row.vector));
      }
      return found;
    },
    /**
     * Up to `limit` vectors with rowids in (afterRowid, upToRowid], in rowid order: an ANN build reads a
     * collection a page at a time, each page its own short read, so a build of minutes never holds one
     * snapshot (which would stop WAL checkpoints for its whole length).
     */
    page: (collectionId: string, modelId: string, afterRowid: number, upToRowid: number, limit: number): StoredVector[] =>
      vectorPage
        .all(collectionId, modelId, afterRowid, upToRowid, limit)
        .map((row) => ({ rowid: row.chunk_rowid, vector: blobToVector(row.vector) })),
    /** The highest rowid with a vector for the model in the collection; 0 without any. */
    lastRowid: (collectionId: string, modelId: string): number => lastVectorRowid.get(collectionId, modelId) ?? 0,
    *iterate(collectionId: string, modelId: string): Generator<StoredVector> {
      const stmt = db.prepare<[string, string], { chunk_rowid: number; vector: Buffer }>(
        'SELECT chunk_rowid, vector FROM vectors WHERE collection_id = ? AND model_id = ? ORDER BY chunk_rowid',
      );
      for (const row of stmt.iterate(collectionId, modelId)) yield { rowid: row.chunk_rowid, vector: blobToVector(row.vector) };
    },
    count: (collectionId: string, modelId?: string): number =>
      modelId === undefined
        ? (db.prepare('SELECT count(*) AS n FROM vectors WHERE collection_id = ?').get(collectionId) as { n: number }).n
        : (
            db
              .prepare('SELECT count(*) AS n FROM vectors WHERE collection_id = ? AND model_id = ?')
              .get(collectionId, modelId) as {
              n: number;
            }
          ).n,
    /**
     * Models that have vectors in a collection, with their dimensions (one per model: each model
     * has one index). Walks the (collection, model) index from model to model and counts each in
     * it: a GROUP BY over the table read every vector row, about 12 s at a million.
     */
    models: (collectionId: string): { modelId: string; dimensions: number; count: number }[] => {
      const models: { modelId: string; dimensions: number; count: number }[] = [];
      let next = modelStatements.first.get(collectionId) as { m: string | null };
      while (next.m !== null) {
        const modelId = next.m;
        const { dimensions } = modelStatements.dimensions.get(collectionId, modelId) as { dimensions: number };
        const { n } = modelStatements.count.get(collectionId, modelId) as { n: number };
        models.push({ modelId, dimensions, count: n });
        next = modelStatements.after.get(collectionId, modelId) as { m: string | null };
      }
      return models;
    },
    /** The highest change sequence for a (collection, model), pruned ones included: what an ANN index file records. */
    lastChange: (collectionId: string, modelId: string): number =>
      (
        db
          .prepare(
            `SELECT max(coalesce((SELECT max(seq) FROM vector_changes WHERE collection_id = @c AND model_id = @m), 0),
                        coalesce((SELECT seq FROM vector_change_floors WHERE collection_id = @c AND model_id = @m), 0)) AS seq`,
          )
          .get({ c: collectionId, m: modelId }) as { seq: number }
      ).seq,
    /** Changes up to this seq were pruned: an index that has applied less cannot catch up from the log. */
    changeFloor: (collectionId: string, modelId: string): number =>
      (db
        .prepare('SELECT seq FROM vector_change_floors WHERE collection_id = ? AND model_id = ?')
        .pluck()
        .get(collectionId, modelId) as number | undefined) ?? 0,
    /** Drops the changes a saved index has applied (up to seq), recording the cut. */
    pruneChanges: db.transaction((collectionId: string, modelId: string, seq: number): number => {
      const { changes } = db
        .prepare('DELETE FROM vector_changes WHERE collection_id = ? AND model_id = ? AND seq <= ?')
        .run(collectionId, modelId, seq);
      db.prepare(
        `INSERT INTO vector_change_floors (collection_id, model_id, seq) VALUES (?, ?, ?)
         ON CONFLICT (collection_id, model_id) DO UPDATE SET seq = max(seq, excluded.seq)`,
      ).run(collectionId, modelId, seq);
      return changes;
    }),
    /** Forgets the change log of a deleted collection: no index will read it again. */
    forgetCollection: db.transaction((collectionId: string): void => {
      db.prepare('DELETE FROM vector_changes WHERE collection_id = ?').run(collectionId);
      db.prepare('DELETE FROM vector_change_floors WHERE collection_id = ?').run(collectionId);
    }),
    /** Changes after a sequence number, in order. */
    changesSince: (collectionId: string, modelId: string, seq: number): { seq: number; rowid: number; op: 'add' | 'remove' }[] =>
      db
        .prepare(
          'SELECT seq, chunk_rowid AS rowid, op FROM vector_changes WHERE collection_id = ? AND model_id = ? AND seq > ? ORDER BY seq',
        )
        .all(collectionId, modelId, seq) as { seq: number; rowid: number; op: 'add' | 'remove' }[],
  };
}

export type VectorsRepo = ReturnType<typeof createVectorsRepo>;
