import { CairnError, type Chunk, type Document, type DocumentStatus, type PageSpan, toSearchText } from '../core/index.ts';
import { scrubDocumentFromChats } from './chats.ts';
import type { Db } from './database.ts';
import { type JsonColumn, now, parseJson } from './rows.ts';

export interface DocumentRow {
  id: string;
  collection_id: string;
  source: string;
  mime: string;
  title: string;
  language: string | null;
  content_hash: string;
  text: string;
  pages: JsonColumn;
  metadata: JsonColumn;
  tags: JsonColumn;
  status: DocumentStatus;
  bytes: number;
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

export function toDocument(row: DocumentRow): Document {
  return {
    id: row.id,
    collectionId: row.collection_id,
    source: row.source,
    mime: row.mime,
    title: row.title,
    language: row.language,
    contentHash: row.content_hash,
    text: row.text,
    pages: parseJson<PageSpan[]>(row.pages, []),
    metadata: parseJson<Record<string, unknown>>(row.metadata, {}),
    tags: parseJson<string[]>(row.tags, []),
    status: row.status,
    bytes: row.bytes,
    chunkCount: row.chunk_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A document as written: the store fills in timestamps and counts. */
export type NewDocument = Omit<Document, 'createdAt' | 'updatedAt' | 'chunkCount' | 'status'> & {
  status?: DocumentStatus;
};

/** A chunk as written: the store assigns the rowid and copies collection and document ids. */
export type NewChunk = Omit<Chunk, 'rowid' | 'documentId' | 'collectionId'> & { searchText?: string; searchTitle?: string };

export interface NewVectors {
  modelId: string;
  dimensions: number;
  /** One vector per chunk, in chunk order. */
  vectors: Float32Array[];
}

export interface WriteResult {
  document: Document;
  chunkRowids: number[];
  replaced: boolean;
}

export interface ListDocumentsOptions {
  collectionId: string;
  limit?: number;
  offset?: number;
  mime?: string;
  status?: DocumentStatus;
  sourcePrefix?: string;
}

export function createDocumentsRepo(db: Db) {
  const byId = db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE id = ?');
  const bySource = db.prepare<[string, string], DocumentRow>('SELECT * FROM documents WHERE collection_id = ? AND source = ?');
  const deleteChunks = db.prepare('DELETE FROM chunks WHERE document_id = ?');
  const upsertDoc = db.prepare(`
    INSERT INTO documents (id, collection_id, source, mime, title, language, content_hash, text, pages, metadata, tags, status, bytes, chunk_count, created_at, updated_at)
    VALUES (@id, @collection_id, @source, @mime, @title, @language, @content_hash, @text, @pages, @metadata, @tags, @status, @bytes, @chunk_count, @created_at, @updated_at)
    ON CONFLICT (id) DO UPDATE SET mime = excluded.mime, title = excluded.title, language = excluded.language,
      content_hash = excluded.content_hash, text = excluded.text, pages = excluded.pages, metadata = excluded.metadata,
      tags = excluded.tags, status = excluded.status, bytes = excluded.bytes, chunk_count = excluded.chunk_count,
      updated_at = excluded.updated_at`);
  const insertChunk = db.prepare(`
    INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, page, headings, token_count, metadata, search_title, search_text)
    VALUES (@id, @document_id, @collection_id, @ordinal, @text, @char_start, @char_end, @page, @headings, @token_count, @metadata, @search_title, @search_text)`);
  const insertVector = db.prepare(
    'INSERT INTO vectors (chunk_rowid, collection_id, model_id, dimensions, vector) VALUES (?, ?, ?, ?, ?)',
  );
  const setStatus = db.prepare('UPDATE documents SET status = ?, updated_at = ? WHERE id = ?');
  const headerById = db.prepare<[string], { source: string; title: string; chunk_count: number }>(
    'SELECT source, title, chunk_count FROM documents WHERE id = ?',
  );

  function writeChunks(doc: NewDocument, chunks: NewChunk[]): number[] {
    const rowids: number[] = [];
    for (const chunk of chunks) {
      const title = chunk.searchTitle ?? [doc.title, ...chunk.headings].filter(Boolean).join(' / ');
      const info = insertChunk.run({
        id: chunk.id,
        document_id: doc.id,
        collection_id: doc.collectionId,
        ordinal: chunk.ordinal,
        text: chunk.text,
        char_start: chunk.start,
        char_end: chunk.end,
        page: chunk.page,
        headings: JSON.stringify(chunk.headings),
        token_count: chunk.tokenCount,
        metadata: JSON.stringify(chunk.metadata),
        search_title: toSearchText(title),
        search_text: chunk.searchText ?? toSearchText(chunk.text),
      });
      rowids.push(Number(info.lastInsertRowid));
    }
    return rowids;
  }

  function writeVectors(collectionId: string, rowids: number[], vectors: NewVectors): void {
    if (vectors.vectors.length !== rowids.length) {
      throw new CairnError('VALIDATION', `Got ${vectors.vectors.length} vectors for ${rowids.length} chunks`);
    }
    vectors.vectors.forEach((vector, i) => {
      if (vector.length !== vectors.dimensions) {
        throw new CairnError('DIMENSION_MISMATCH', `Vector has ${vector.length} dimensions, expected ${vectors.dimensions}`);
      }
      insertVector.run(rowids[i], collectionId, vectors.modelId, vectors.dimensions, vectorToBlob(vector));
    });
  }

  /**
   * Writes a document with its chunks (and vectors, when given) in one transaction, replacing any
   * earlier version of the same document atomically.
   */
  const write = db.transaction((doc: NewDocument, chunks: NewChunk[], vectors?: NewVectors): WriteResult => {
    const existing = byId.get(doc.id);
    if (existing) deleteChunks.run(doc.id);
    const time = now();
    upsertDoc.run({
      id: doc.id,
      collection_id: doc.collectionId,
      source: doc.source,
      mime: doc.mime,
      title: doc.title,
      language: doc.language,
      content_hash: doc.contentHash,
      text: doc.text,
      pages: JSON.stringify(doc.pages),
      metadata: JSON.stringify(doc.metadata),
      tags: JSON.stringify(doc.tags),
      status: doc.status ?? (vectors ? 'ready' : 'pending_vectors'),
      bytes: doc.bytes,
      chunk_count: chunks.length,
      created_at: existing?.created_at ?? time,
      updated_at: time,
    });
    const chunkRowids = writeChunks(doc, chunks);
    if (vectors) writeVectors(doc.collectionId, chunkRowids, vectors);
    const stored = byId.get(doc.id) as DocumentRow;
    return { document: toDocument(stored), chunkRowids, replaced: existing !== undefined };
  });

  function list(options: ListDocumentsOptions): { documents: Document[]; total: number } {
    const where = ['collection_id = @collectionId'];
    if (options.mime) where.push('mime = @mime');
    if (options.status) where.push('status = @status');
    if (options.sourcePrefix) where.push("source LIKE @sourcePrefix || '%' ESCAPE '\\'");
    const params = {
      collectionId: options.collectionId,
      mime: options.mime,
      status: options.status,
      sourcePrefix: options.sourcePrefix?.replace(/[\\%_]/g, (c) => `\\${c}`),
      limit: options.limit ?? 50,
      offset: options.offset ?? 0,
    };
    const clause = where.join(' AND ');
    const rows = db
      .prepare<typeof params, DocumentRow>(`SELECT * FROM documents WHERE ${clause} ORDER BY source LIMIT @limit OFFSET @offset`)
      .all(params);
    const total = (db.prepare(`SELECT count(*) AS n FROM documents WHERE ${clause}`).get(params) as { n: number }).n;
    return { documents: rows.map(toDocument), total };
  }

  return {
    write,
    get: (id: string): Document | null => {
      const row = byId.get(id);
      return row ? toDocument(row) : null;
    },
    findBySource: (collectionId: string, source: string): Document | null => {
      const row = bySource.get(collectionId, source);
      return row ? toDocument(row) : null;
    },
    list,
    /** Every source in a collection with its content hash: what incremental ingest compares against. */
    sources: (collectionId: string): Map<string, string> =>
      new Map(
        db
          .prepare<[string], { source: string; content_hash: string }>(
            'SELECT source, content_hash FROM documents WHERE collection_id = ?',
          )
          .all(collectionId)
          .map((r) => [r.source, r.content_hash]),
      ),
    /** Source, title and chunk count of documents by id, without their text (what search results show). */
    headers: (ids: string[]): Map<string, { source: string; title: string; chunkCount: number }> => {
      const out = new Map<string, { source: string; title: string; chunkCount: number }>();
      for (const id of ids) {
        const row = headerById.get(id);
        if (row) out.set(id, { source: row.source, title: row.title, chunkCount: row.chunk_count });
      }
      return out;
    },
    setStatus: (id: string, status: DocumentStatus): void => {
      setStatus.run(status, now(), id);
    },
    /**
     * Deletes a document with its chunks and vectors, and its text from stored answers that cited
     * it, in one transaction.
     */
    remove: db.transaction((id: string): boolean => {
      const removed = db.prepare('DELETE FROM documents WHERE id = ?').run(id).changes > 0;
      if (removed) scrubDocumentFromChats(db, id);
      return removed;
    }),
    count: (collectionId: string): number =>
      (db.prepare('SELECT count(*) AS n FROM documents WHERE collection_id = ?').get(collectionId) as { n: number }).n,
  };
}

export type DocumentsRepo = ReturnType<typeof createDocumentsRepo>;

export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

export function blobToVector(blob: Buffer): Float32Array {
  // Copy: the Buffer may be a view into a pool that better-sqlite3 reuses, and may be unaligned.
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}
