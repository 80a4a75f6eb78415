/**
 * The SciFact corpus as bench/server and bench/server-stack load it: one document and one chunk per
 * corpus entry, written straight to the embedded store in one transaction (no ingest pipeline).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { documentId, hashContent } from '../core/index.ts';
import type { Store } from '../store/index.ts';

export interface BeirDoc {
  _id: string;
  title: string;
  text: string;
}

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** The corpus (the first `limit` entries when limit > 0) and the query texts of a BEIR folder. */
export function readScifact(folder: string, limit = 0): { docs: BeirDoc[]; queries: string[] } {
  const corpus = readJsonl<BeirDoc>(path.join(folder, 'corpus.jsonl'));
  const queries = readJsonl<{ text: string }>(path.join(folder, 'queries.jsonl')).map((q) => q.text);
  return { docs: limit > 0 ? corpus.slice(0, limit) : corpus, queries };
}

/** Writes the documents into collection "scifact", one chunk each. */
export function writeCorpus(store: Store, docs: BeirDoc[]): void {
  store.collections.create({ name: 'scifact' });
  store.db.transaction(() => {
    for (const doc of docs) {
      const id = documentId('scifact', doc._id);
      const text = doc.text;
      store.documents.write(
        {
          id,
          collectionId: 'scifact',
          source: doc._id,
          mime: 'text/plain',
          title: doc.title,
          language: 'en',
          contentHash: hashContent(text),
          text,
          pages: [],
          metadata: {},
          tags: [],
          bytes: text.length,
        },
        [{ id: `${id}:0`, ordinal: 0, text, start: 0, end: text.length, page: null, headings: [], tokenCount: 0, metadata: {} }],
      );
    }
  })();
}
