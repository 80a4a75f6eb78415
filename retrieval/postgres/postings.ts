import { analyze } from '../tokenize.ts';
import type { Queryable } from './pg-query.ts';

/**
 * The write side of BM25 in PostgreSQL: a chunk's search fields analyzed exactly as the embedded
 * index does (retrieval/tokenize.ts), stored as one bm25_docs row (lengths) and one posting per
 * distinct term with its title and body counts. Runs inside the caller's transaction, so a chunk
 * and its postings commit together; deleting the chunk cascades to both, and triggers keep the
 * collection statistics (migrations/postgres/0002_search.sql).
 */
export interface PostingsRow {
  rowid: number;
  collectionId: string;
  searchTitle: string;
  searchText: string;
}

/** Postings per INSERT: bounds the size of one statement's arrays for very large documents. */
const BATCH = 20_000;

interface Columns {
  docs: { rowid: number[]; collection: string[]; titleLen: number[]; bodyLen: number[] };
  postings: {
    collection: string[];
    term: string[];
    rowid: number[];
    titleTf: number[];
    bodyTf: number[];
    titleLen: number[];
    bodyLen: number[];
  };
}

function countTerms(terms: string[], into: Map<string, [number, number]>, field: 0 | 1): void {
  for (const term of terms) {
    let counts = into.get(term);
    if (!counts) {
      counts = [0, 0];
      into.set(term, counts);
    }
    counts[field]++;
  }
}

function toColumns(rows: PostingsRow[]): Columns {
  const out: Columns = {
    docs: { rowid: [], collection: [], titleLen: [], bodyLen: [] },
    postings: { collection: [], term: [], rowid: [], titleTf: [], bodyTf: [], titleLen: [], bodyLen: [] },
  };
  for (const row of rows) {
    const title = analyze(row.searchTitle);
    const body = analyze(row.searchText);
    out.docs.rowid.push(row.rowid);
    out.docs.collection.push(row.collectionId);
    out.docs.titleLen.push(title.length);
    out.docs.bodyLen.push(body.length);
    const counts = new Map<string, [number, number]>();
    countTerms(title, counts, 0);
    countTerms(body, counts, 1);
    const p = out.postings;
    for (const [term, [titleTf, bodyTf]] of counts) {
      p.collection.push(row.collectionId);
      p.term.push(term);
      p.rowid.push(row.rowid);
      p.titleTf.push(titleTf);
      p.bodyTf.push(bodyTf);
      p.titleLen.push(title.length);
      p.bodyLen.push(body.length);
    }
  }
  return out;
}

const INSERT_DOCS = `INSERT INTO bm25_docs (chunk_rowid, collection_id, title_len, body_len)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[])`;

const INSERT_POSTINGS = `INSERT INTO bm25_postings (collection_id, term, chunk_rowid, title_tf, body_tf, title_len, body_len)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::int[], $6::int[], $7::int[])`;

/** Indexes chunks for BM25; call it in the transaction that inserts them. */
export async function writePostings(client: Queryable, rows: PostingsRow[]): Promise<void> {
  if (rows.length === 0) return;
  const { docs, postings: p } = toColumns(rows);
  await client.query(INSERT_DOCS, [docs.rowid, docs.collection, docs.titleLen, docs.bodyLen]);
  for (let i = 0; i < p.term.length; i += BATCH) {
    const part = <T>(column: T[]) => column.slice(i, i + BATCH);
    await client.query(INSERT_POSTINGS, [
      part(p.collection),
      part(p.term),
      part(p.rowid),
      part(p.titleTf),
      part(p.bodyTf),
      part(p.titleLen),
      part(p.bodyLen),
    ]);
  }
}
