import type pg from 'pg';
import { CairnError, type Collection, type CollectionSettings } from '../../core/index.ts';
import {
  COLLECTION_NAME,
  type CollectionRow,
  type CollectionsRepo,
  type CreateCollectionInput,
  DEFAULT_SETTINGS,
  toCollection,
} from '../collections.ts';
import type { Async } from '../contract.ts';
import { changes, inTransaction, json, many, now, one } from './pool.ts';

export function createPgCollectionsRepo(pool: pg.Pool): Async<CollectionsRepo> {
  async function get(id: string): Promise<Collection | null> {
    const row = await one<CollectionRow>(pool, 'SELECT * FROM collections WHERE id = $1', [id]);
    return row ? toCollection(row) : null;
  }

  async function require(id: string): Promise<Collection> {
    const collection = await get(id);
    if (!collection) throw new CairnError('COLLECTION_NOT_FOUND', `No collection named "${id}"`, { collection: id });
    return collection;
  }

  async function create(input: CreateCollectionInput): Promise<Collection> {
    if (!COLLECTION_NAME.test(input.name)) {
      throw new CairnError(
        'VALIDATION',
        `Collection name "${input.name}" must be 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit`,
        { name: input.name },
      );
    }
    const time = now();
    const settings = { ...DEFAULT_SETTINGS, ...input.settings };
    // ON CONFLICT instead of a read first: two instances creating one name race only in here.
    const row = await one<CollectionRow>(
      pool,
      `INSERT INTO collections (id, name, description, settings, created_at, updated_at) VALUES ($1, $1, $2, $3::jsonb, $4, $4)
       ON CONFLICT DO NOTHING RETURNING *`,
      [input.name, input.description ?? '', json(settings), time],
    );
    if (!row) throw new CairnError('COLLECTION_EXISTS', `A collection named "${input.name}" exists`);
    return toCollection(row);
  }

  async function ensure(input: CreateCollectionInput): Promise<Collection> {
    const existing = await get(input.name);
    if (existing) return existing;
    try {
      return await create(input);
    } catch (error) {
      // Created by another instance in between: that one is the collection.
      if (error instanceof CairnError && error.code === 'COLLECTION_EXISTS') return require(input.name);
      throw error;
    }
  }

  async function update(
    id: string,
    patch: { description?: string; settings?: Partial<CollectionSettings> },
  ): Promise<Collection> {
    return inTransaction(pool, async (client) => {
      const row = await one<CollectionRow>(client, 'SELECT * FROM collections WHERE id = $1 FOR UPDATE', [id]);
      if (!row) throw new CairnError('COLLECTION_NOT_FOUND', `No collection named "${id}"`, { collection: id });
      const current = toCollection(row);
      const settings = { ...current.settings, ...patch.settings };
      const updated = await one<CollectionRow>(
        client,
        'UPDATE collections SET description = $1, settings = $2::jsonb, updated_at = $3 WHERE id = $4 RETURNING *',
        [patch.description ?? current.description, json(settings), now(), id],
      );
      return toCollection(updated as CollectionRow);
    });
  }

  return {
    get,
    require,
    create,
    ensure,
    update,
    /** Deletes the collection with its documents, chunks, vectors, postings and chats (cascades, one statement). */
    remove: async (id: string) => (await changes(pool, 'DELETE FROM collections WHERE id = $1', [id])) > 0,
    list: async () => (await many<CollectionRow>(pool, 'SELECT * FROM collections ORDER BY name COLLATE "C"')).map(toCollection),
  };
}
