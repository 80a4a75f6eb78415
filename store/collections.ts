import { CairnError, type Collection, type CollectionSettings } from '../core/index.ts';
import type { Db } from './database.ts';
import { type JsonColumn, now, parseJson } from './rows.ts';

export interface CollectionRow {
  id: string;
  name: string;
  description: string;
  settings: JsonColumn;
  created_at: string;
  updated_at: string;
}

export const COLLECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const DEFAULT_SETTINGS: CollectionSettings = {
  embedder: null,
  reranker: null,
  generator: null,
  index: 'auto',
  chunking: { splitter: 'auto', size: 512, overlap: 64, unit: 'tokens' },
  extra: {},
};

export function toCollection(row: CollectionRow): Collection {
  const stored = parseJson<Partial<CollectionSettings>>(row.settings, {});
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    settings: { ...DEFAULT_SETTINGS, ...stored, chunking: { ...DEFAULT_SETTINGS.chunking, ...stored.chunking } },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface CreateCollectionInput {
  name: string;
  description?: string;
  settings?: Partial<CollectionSettings>;
}

export function createCollectionsRepo(db: Db) {
  const byId = db.prepare<[string], CollectionRow>('SELECT * FROM collections WHERE id = ?');
  const all = db.prepare<[], CollectionRow>('SELECT * FROM collections ORDER BY name');

  function get(id: string): Collection | null {
    const row = byId.get(id);
    return row ? toCollection(row) : null;
  }

  function require(id: string): Collection {
    const collection = get(id);
    if (!collection) throw new CairnError('COLLECTION_NOT_FOUND', `No collection named "${id}"`, { collection: id });
    return collection;
  }

  function create(input: CreateCollectionInput): Collection {
    if (!COLLECTION_NAME.test(input.name)) {
      throw new CairnError(
        'VALIDATION',
        `Collection name "${input.name}" must be 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit`,
        { name: input.name },
      );
    }
    if (get(input.name)) throw new CairnError('COLLECTION_EXISTS', `A collection named "${input.name}" exists`);
    const time = now();
    const settings = { ...DEFAULT_SETTINGS, ...input.settings };
    db.prepare('INSERT INTO collections (id, name, description, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      input.name,
      input.name,
      input.description ?? '',
      JSON.stringify(settings),
      time,
      time,
    );
    return require(input.name);
  }

  /** The collection, created with the given settings if it does not exist yet. */
  function ensure(input: CreateCollectionInput): Collection {
    return get(input.name) ?? create(input);
  }

  function update(id: string, patch: { description?: string; settings?: Partial<CollectionSettings> }): Collection {
    const current = require(id);
    const settings = { ...current.settings, ...patch.settings };
    db.prepare('UPDATE collections SET description = ?, settings = ?, updated_at = ? WHERE id = ?').run(
      patch.description ?? current.description,
      JSON.stringify(settings),
      now(),
      id,
    );
    return require(id);
  }

  /** Deletes the collection with its documents, chunks, FTS rows, vectors and chats in one transaction. */
  function remove(id: string): boolean {
    return db.transaction(() => db.prepare('DELETE FROM collections WHERE id = ?').run(id).changes > 0)();
  }

  return { get, require, create, ensure, update, remove, list: () => all.all().map(toCollection) };
}

export type CollectionsRepo = ReturnType<typeof createCollectionsRepo>;
