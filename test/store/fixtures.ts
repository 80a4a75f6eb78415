import { chunkId, documentId, hashContent } from '../../core/index.ts';
import type { NewChunk, NewDocument, Store } from '../../store/index.ts';

/** A document split on blank lines into chunks with exact offsets. */
export function makeDocument(collectionId: string, source: string, text: string): { doc: NewDocument; chunks: NewChunk[] } {
  const id = documentId(collectionId, source);
  const contentHash = hashContent(text);
  const chunks: NewChunk[] = [];
  let start = 0;
  for (const part of text.split('\n\n')) {
    const ordinal = chunks.length;
    chunks.push({
      id: chunkId(id, contentHash, ordinal),
      ordinal,
      text: part,
      start,
      end: start + part.length,
      page: null,
      headings: [],
      tokenCount: 1,
      metadata: {},
    });
    start += part.length + 2;
  }
  const doc: NewDocument = {
    id,
    collectionId,
    source,
    mime: 'text/plain',
    title: source,
    language: 'en',
    contentHash,
    text,
    pages: [],
    metadata: {},
    tags: [],
    bytes: text.length,
  };
  return { doc, chunks };
}

/** Rowids of the chunks whose lexical fields (what the BM25 index reads) hold the word. */
export function lexicalMatches(store: Store, word: string): number[] {
  return store.db
    .prepare<[string], number>(
      "SELECT rowid FROM chunks WHERE ' ' || search_title || ' ' || search_text || ' ' LIKE '% ' || ? || ' %' ORDER BY rowid",
    )
    .pluck()
    .all(word);
}

export function unitVectors(n: number, dims = 3): Float32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const v = new Float32Array(dims);
    v[i % dims] = 1;
    return v;
  });
}
