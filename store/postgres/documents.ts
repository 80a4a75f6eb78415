import type pg from 'pg';
import { CairnError, type Document, type DocumentStatus, toSearchText } from '../../core/index.ts';
import { writePostings } from '../../retrieval/postgres/postings.ts';
import type { Async } from '../contract.ts';
import {
  type DocumentRow,
  type DocumentsRepo,
  type ListDocumentsOptions,
  type NewChunk,
  type NewDocument,
  type NewVectors,
  toDocument,
  type WriteResult,
} from '../documents.ts';
import { scrubDocumentFromChatsPg } from './chats.ts';
import { changes, inTransaction, json, many, now, one, pgText, type Queryable, vectorText } from './pool.ts';

const UPSERT_DOCUMENT = `
  INSERT INTO documents (id, collection_id, source, mime, title, language, content_hash, text, pages, metadata, tags, status, bytes, chunk_count, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12, $13, $14, $15, $15)
  ON CONFLICT (id) DO UPDATE SET mime = excluded.mime, title = excluded.title, language = excluded.language,
    content_hash = excluded.content_hash, text = excluded.text, pages = excluded.pages, metadata = excluded.metadata,
    tags = excluded.tags, status = excluded.status, bytes = excluded.bytes, chunk_count = excluded.chunk_count,
    updated_at = excluded.updated_at
  RETURNING *`;

const INSERT_CHUNKS = `
  INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, page, headings, token_count, metadata, search_title, search_text)
  SELECT id, $1, $2, ordinal, text, char_start, char_end, page, headings, token_count, metadata, search_title, search_text
  FROM unnest($3::text[], $4::int[], $5::text[], $6::int[], $7::int[], $8::int[], $9::jsonb[], $10::int[], $11::jsonb[], $12::text[], $13::text[])
    AS c(id, ordinal, text, char_start, char_end, page, headings, token_count, metadata, search_title, search_text)
  RETURNING rowid, ordinal`;

interface ChunkColumns {
  rows: unknown[][];
  search: { searchTitle: string; searchText: string }[];
}

function chunkColumns(doc: NewDocument, chunks: NewChunk[]): ChunkColumns {
  const rows: unknown[][] = Array.from({ length: 11 }, () => []);
  const search: ChunkColumns['search'] = [];
  for (const chunk of chunks) {
    const title = chunk.searchTitle ?? [doc.title, ...chunk.headings].filter(Boolean).join(' / ');
    const fields = { searchTitle: pgText(toSearchText(title)), searchText: pgText(chunk.searchText ?? toSearchText(chunk.text)) };
    search.push(fields);
    const values = [
      chunk.id,
      chunk.ordinal,
      pgText(chunk.text),
      chunk.start,
      chunk.end,
      chunk.page,
      json(chunk.headings),
      chunk.tokenCount,
      json(chunk.metadata),
      fields.searchTitle,
      fields.searchText,
    ];
    values.forEach((value, i) => {
      rows[i]?.push(value);
    });
  }
  return { rows, search };
}

async function writeChunks(client: Queryable, doc: NewDocument, chunks: NewChunk[]): Promise<number[]> {
  if (chunks.length === 0) return [];
  const { rows, search } = chunkColumns(doc, chunks);
  const inserted = await many<{ rowid: number; ordinal: number }>(client, INSERT_CHUNKS, [doc.id, doc.collectionId, ...rows]);
  const byOrdinal = new Map(inserted.map((r) => [r.ordinal, r.rowid]));
  const rowids = chunks.map((chunk) => byOrdinal.get(chunk.ordinal) as number);
  // Lexical index rows commit with their chunks (retrieval/postgres/postings.ts, helper pgsearch).
  await writePostings(
    client,
    rowids.map((rowid, i) => ({ rowid, collectionId: doc.collectionId, ...(search[i] as ChunkColumns['search'][number]) })),
  );
  return rowids;
}

/** Inserts vectors for chunk rowids (one per rowid, in order), checking counts and dimensions first. */
export async function insertVectors(
  client: Queryable,
  collectionId: string,
  rowids: number[],
  vectors: NewVectors,
  upsert = false,
): Promise<void> {
  if (vectors.vectors.length !== rowids.length) {
    throw new CairnError('VALIDATION', `Got ${vectors.vectors.length} vectors for ${rowids.length} chunks`);
  }
  for (const vector of vectors.vectors) {
    if (vector.length !== vectors.dimensions) {
      throw new CairnError('DIMENSION_MISMATCH', `Vector has ${vector.length} dimensions, expected ${vectors.dimensions}`);
    }
  }
  if (rowids.length === 0) return;
  await client.query(
    `INSERT INTO vectors (rowid, collection_id, model_id, dimensions, embedding)
     SELECT r, $2, $3, $4, e::vector FROM unnest($1::bigint[], $5::text[]) AS t(r, e)
     ${upsert ? 'ON CONFLICT (rowid, model_id) DO UPDATE SET collection_id = excluded.collection_id, dimensions = excluded.dimensions, embedding = excluded.embedding' : ''}`,
    [rowids, collectionId, vectors.modelId, vectors.dimensions, vectors.vectors.map(vectorText)],
  );
}

/**
 * Writes a document with its chunks, vectors (when given) and BM25 postings in one transaction,
 * replacing any earlier version atomically. Writers of one document queue on an advisory lock
 * on its id, so two instances ingesting the same source never interleave their chunks.
 */
async function write(pool: pg.Pool, doc: NewDocument, chunks: NewChunk[], vectors?: NewVectors): Promise<WriteResult> {
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('cairn.document:' || $1))", [doc.id]);
    const existing = await one<{ id: string }>(client, 'SELECT id FROM documents WHERE id = $1', [doc.id]);
    if (existing) await client.query('DELETE FROM chunks WHERE document_id = $1', [doc.id]);
    const row = await one<DocumentRow>(client, UPSERT_DOCUMENT, [
      doc.id,
      doc.collectionId,
      doc.source,
      doc.mime,
      pgText(doc.title),
      doc.language,
      doc.contentHash,
      pgText(doc.text),
      json(doc.pages),
      json(doc.metadata),
      json(doc.tags),
      doc.status ?? (vectors ? 'ready' : 'pending_vectors'),
      doc.bytes,
      chunks.length,
      now(),
    ]);
    const chunkRowids = await writeChunks(client, doc, chunks);
    if (vectors) await insertVectors(client, doc.collectionId, chunkRowids, vectors);
    return { document: toDocument(row as DocumentRow), chunkRowids, replaced: existing !== null };
  });
}

function listQuery(options: ListDocumentsOptions): { clause: string; params: unknown[] } {
  const params: unknown[] = [options.collectionId];
  const where = ['collection_id = $1'];
  if (options.mime) where.push(`mime = $${params.push(options.mime)}`);
  if (options.status) where.push(`status = $${params.push(options.status)}`);
  if (options.sourcePrefix) {
    const escaped = options.sourcePrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`source LIKE $${params.push(escaped)} || '%'`);
  }
  return { clause: where.join(' AND '), params };
}

async function list(pool: pg.Pool, options: ListDocumentsOptions): Promise<{ documents: Document[]; total: number }> {
  const { clause, params } = listQuery(options);
  const n = params.length;
  const rows = await many<DocumentRow>(
    pool,
    `SELECT * FROM documents WHERE ${clause} ORDER BY source COLLATE "C" LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...params, options.limit ?? 50, options.offset ?? 0],
  );
  const total = await one<{ n: number }>(pool, `SELECT count(*) AS n FROM documents WHERE ${clause}`, params);
  return { documents: rows.map(toDocument), total: total?.n ?? 0 };
}

export function createPgDocumentsRepo(pool: pg.Pool): Async<DocumentsRepo> {
  return {
    write: (doc: NewDocument, chunks: NewChunk[], vectors?: NewVectors) => write(pool, doc, chunks, vectors),
    get: async (id: string) => {
      const row = await one<DocumentRow>(pool, 'SELECT * FROM documents WHERE id = $1', [id]);
      return row ? toDocument(row) : null;
    },
    findBySource: async (collectionId: string, source: string) => {
      const row = await one<DocumentRow>(pool, 'SELECT * FROM documents WHERE collection_id = $1 AND source = $2', [
        collectionId,
        source,
      ]);
      return row ? toDocument(row) : null;
    },
    list: (options: ListDocumentsOptions) => list(pool, options),
    sources: async (collectionId: string) =>
      new Map(
        (
          await many<{ source: string; content_hash: string }>(
            pool,
            'SELECT source, content_hash FROM documents WHERE collection_id = $1',
            [collectionId],
          )
        ).map((r) => [r.source, r.content_hash]),
      ),
    headers: async (ids: string[]) => {
      const rows = await many<{ id: string; source: string; title: string; chunk_count: number }>(
        pool,
        'SELECT id, source, title, chunk_count FROM documents WHERE id = ANY($1::text[])',
        [ids],
      );
      const found = new Map(rows.map((r) => [r.id, { source: r.source, title: r.title, chunkCount: r.chunk_count }]));
      const out = new Map<string, { source: string; title: string; chunkCount: number }>();
      for (const id of ids) {
        const header = found.get(id);
        if (header) out.set(id, header);
      }
      return out;
    },
    setStatus: async (id: string, status: DocumentStatus) => {
      await pool.query('UPDATE documents SET status = $1, updated_at = $2 WHERE id = $3', [status, now(), id]);
    },
    /** Deletes a document with its chunks, vectors and postings, and its text from stored answers, in one transaction. */
    remove: (id: string) =>
      inTransaction(pool, async (client) => {
        const removed = (await changes(client, 'DELETE FROM documents WHERE id = $1', [id])) > 0;
        if (removed) await scrubDocumentFromChatsPg(client, id);
        return removed;
      }),
    count: async (collectionId: string) =>
      (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM documents WHERE collection_id = $1', [collectionId]))?.n ?? 0,
  };
}
