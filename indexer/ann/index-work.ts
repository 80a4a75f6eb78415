import { rmSync } from 'node:fs';
import path from 'node:path';
import { type Config, isCairnError, type Logger } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { createVectorIndex, type IndexSpec, loadVectorIndex, loadVectorIndexAsync } from './factory.ts';
import {
  type IndexPaths,
  isForeignManifest,
  type Manifest,
  nextDataFile,
  readManifest,
  removeStale,
  writeManifest,
} from './manifest.ts';
import type { VectorIndex, VectorIndexKind } from './types.ts';
import { vectorPages } from './vector-pages.ts';

export interface WorkOptions {
  store: Store;
  config: Config['index'];
  logger: Logger;
}

/** An index with the vector_changes seq it holds everything up to. */
export interface Entry {
  collectionId: string;
  modelId: string;
  paths: IndexPaths;
  index: VectorIndex;
  seq: number;
  /** Changes applied since the last save. */
  unsaved: number;
}

/**
 * The index work itself (build from the vectors table, load a saved file, apply the change log,
 * save): the same steps whether they run in a search (small collections) or in the background
 * builder thread (big ones).
 */
export function createIndexWork(options: WorkOptions) {
  const { store, config, logger } = options;

  /**
   * The first stored vector's length, null without vectors. (vectors.models counts every row of the
   * collection: about 12 s at a million, on each build, load and search before the first build.)
   */
  function dimensionsOf(collectionId: string, modelId: string): number | null {
    // Leaving the loop returns the generator, which closes the statement.
    for (const { vector } of store.vectors.iterate(collectionId, modelId)) return vector.length;
    return null;
  }

  function wantedKind(collectionId: string, count: number, current?: VectorIndexKind): VectorIndexKind {
    const pinned = store.collections.get(collectionId)?.settings.index ?? 'auto';
    const choice = pinned === 'auto' ? config.kind : pinned;
    if (choice !== 'auto') return choice;
    // Hysteresis: an hnsw index is kept until the collection shrinks well below the threshold.
    if (current === 'hnsw' && count >= config.autoFlatBelow / 2) return 'hnsw';
    return count < config.autoFlatBelow ? 'flat' : 'hnsw';
  }

  function specFor(modelId: string, kind: VectorIndexKind, dimensions: number): IndexSpec {
    return {
      kind,
      dimensions,
      metric: config.metric,
      fetchVectors: (labels) => {
        const found = store.vectors.getMany(labels, modelId);
        return labels.map((label) => found.get(label) ?? null);
      },
    };
  }

  /** Adds vectors, skipping (and reporting) any the index rejects, so one bad row cannot block the rest. */
  function addValid(index: VectorIndex, labels: number[], vectors: Float32Array[]): void {
    if (labels.length === 0) return;
    try {
      index.add(labels, vectors);
    } catch (error) {
      if (!isCairnError(error, 'BAD_VECTOR')) throw error;
      labels.forEach((label, i) => {
        try {
          index.add([label], [vectors[i]!]);
        } catch (inner) {
          if (!isCairnError(inner, 'BAD_VECTOR')) throw inner;
          logger.warn('ann: skipping a vector the index rejects', { label, reason: (inner as Error).message });
        }
      });
    }
  }

  /**
   * A fresh index from the vectors table, read in pages (vector-pages.ts) from the seq read before
   * the first page, then brought up to date from the log: the pages may hold some later changes and
   * miss others, and the log from that seq covers every one of them.
   */
  function readIndex(collectionId: string, modelId: string, paths: IndexPaths): Entry | null {
    const start = store.db.transaction(() => {
      const dimensions = dimensionsOf(collectionId, modelId);
      if (dimensions === null) return null;
      const count = store.vectors.count(collectionId, modelId);
      return { dimensions, count, seq: store.vectors.lastChange(collectionId, modelId) };
    })();
    if (start === null) return null;
    const { dimensions, count, seq } = start;
    const kind = wantedKind(collectionId, count);
    const index = createVectorIndex({ ...specFor(modelId, kind, dimensions), capacity: count }, config, logger);
    // ivf trains once on everything; the others take each page (a multi-threaded hnsw build splits each one).
    const pending: { labels: number[]; vectors: Float32Array[] } = { labels: [], vectors: [] };
    for (const page of vectorPages(store, collectionId, modelId)) {
      if (kind !== 'ivf') {
        addValid(index, page.labels, page.vectors);
        continue;
      }
      pending.labels.push(...page.labels);
      pending.vectors.push(...page.vectors);
    }
    addValid(index, pending.labels, pending.vectors);
    logger.debug('ann index rebuilt', { collectionId, modelId, kind, count: index.size() });
    return { collectionId, modelId, paths, index, seq, unsaved: index.size() };
  }

  function rebuild(collectionId: string, modelId: string, paths: IndexPaths): Entry | null {
    const built = readIndex(collectionId, modelId, paths);
    // However many changes came in meanwhile, applying them beats reading everything again.
    if (built === null || catchUp(built, Number.POSITIVE_INFINITY)) return built;
    // The log from its seq was pruned while the pages were read (another writer saved): one snapshot then.
    return store.db.transaction(() => readIndex(collectionId, modelId, paths))();
  }

  /** Why a saved index cannot serve this database's (collection, model), or null when it can. */
  function unusable(manifest: Manifest, collectionId: string, modelId: string): string | null {
    if (isForeignManifest(manifest, store.id)) return 'it was built from another database';
    if (manifest.modelId !== modelId || manifest.collectionId !== collectionId)
      return 'it belongs to another model or collection';
    const dimensions = dimensionsOf(collectionId, modelId);
    if (manifest.dimensions !== dimensions || manifest.metric !== config.metric) return 'its dimensions or metric differ';
    if (manifest.seq > store.vectors.lastChange(collectionId, modelId)) return 'it is ahead of the database';
    return null;
  }

  /** The saved manifest, if it can serve this database's (collection, model); null (with a warning) if not. */
  function usableManifest(collectionId: string, modelId: string, paths: IndexPaths): Manifest | null {
    let manifest: ReturnType<typeof readManifest>;
    try {
      manifest = readManifest(paths);
    } catch (error) {
      logger.warn('ann index manifest unreadable; rebuilding', { collectionId, modelId, error: (error as Error).message });
      return null;
    }
    if (!manifest) return null;
    const reason = unusable(manifest, collectionId, modelId);
    if (reason) {
      logger.warn(`ann index file not used: ${reason}; rebuilding`, { collectionId, modelId });
      return null;
    }
    return manifest;
  }

  function entryOf(manifest: Manifest, index: VectorIndex, paths: IndexPaths): Entry {
    if (index.size() !== manifest.count) throw new Error(`holds ${index.size()} vectors, manifest says ${manifest.count}`);
    return { collectionId: manifest.collectionId, modelId: manifest.modelId, paths, index, seq: manifest.seq, unsaved: 0 };
  }

  function unusableFile(collectionId: string, modelId: string, error: unknown): null {
    logger.warn('ann index file unusable; rebuilding', { collectionId, modelId, error: (error as Error).message });
    return null;
  }

  function load(collectionId: string, modelId: string, paths: IndexPaths): Entry | null {
    const manifest = usableManifest(collectionId, modelId, paths);
    if (!manifest) return null;
    try {
      const file = path.join(paths.folder, manifest.file);
      return entryOf(manifest, loadVectorIndex(file, specFor(modelId, manifest.kind, manifest.dimensions), config), paths);
    } catch (error) {
      return unusableFile(collectionId, modelId, error);
    }
  }

  /** As `load`, with an hnsw graph read off the thread (factory.ts loadVectorIndexAsync). */
  async function loadAsync(collectionId: string, modelId: string, paths: IndexPaths): Promise<Entry | null> {
    const manifest = usableManifest(collectionId, modelId, paths);
    if (!manifest) return null;
    try {
      const file = path.join(paths.folder, manifest.file);
      const spec = specFor(modelId, manifest.kind, manifest.dimensions);
      return entryOf(manifest, await loadVectorIndexAsync(file, spec, config), paths);
    } catch (error) {
      return unusableFile(collectionId, modelId, error);
    }
  }

  /**
   * Applies the changes after entry.seq; returns false when a rebuild is the better path (the log
   * was pruned past it, or it holds more than `most` changes).
   */
  function catchUp(entry: Entry, most = Math.max(50_000, entry.index.size())): boolean {
    const { collectionId, modelId } = entry;
    return store.db.transaction(() => {
      const last = store.vectors.lastChange(collectionId, modelId);
      if (last === entry.seq) return true;
      // Behind the pruned part of the log (another thread or process saved and pruned): not from here.
      if (last < entry.seq || entry.seq < store.vectors.changeFloor(collectionId, modelId)) return false;
      const changes = store.vectors.changesSince(collectionId, modelId, entry.seq);
      if (changes.length > most) return false;
      const finalOp = new Map<number, 'add' | 'remove'>();
      for (const change of changes) finalOp.set(change.rowid, change.op);
      const removed = [...finalOp].filter(([, op]) => op === 'remove').map(([rowid]) => rowid);
      const added = [...finalOp].filter(([, op]) => op === 'add').map(([rowid]) => rowid);
      const vectors = store.vectors.getMany(added, modelId);
      // An add whose vector is gone again was removed after the log was read: treat it as removed.
      entry.index.remove([...removed, ...added.filter((rowid) => !vectors.has(rowid))]);
      const present = added.filter((rowid) => vectors.has(rowid));
      addValid(
        entry.index,
        present,
        present.map((rowid) => vectors.get(rowid)!),
      );
      entry.seq = changes.at(-1)?.seq ?? last;
      entry.unsaved += changes.length;
      return true;
    })();
  }

  /**
   * Another thread or process saved a newer state of this index: replacing it would lose its
   * changes. Another database's file is never newer: its seq counts another change log.
   */
  function newerOnDisk(entry: Entry): boolean {
    try {
      const manifest = readManifest(entry.paths);
      return !!manifest && !isForeignManifest(manifest, store.id) && manifest.seq > entry.seq;
    } catch {
      return false;
    }
  }

  async function save(entry: Entry): Promise<void> {
    const { paths, index } = entry;
    if (newerOnDisk(entry)) {
      entry.unsaved = 0;
      return;
    }
    const file = nextDataFile(paths, index.kind);
    const seq = entry.seq;
    try {
      await index.save(file);
      writeManifest(paths, {
        format: 1,
        storeId: store.id,
        collectionId: entry.collectionId,
        modelId: entry.modelId,
        kind: index.kind,
        metric: index.metric,
        dimensions: index.dimensions,
        seq,
        count: index.size(),
        file: path.basename(file),
        savedAt: new Date().toISOString(),
      });
      entry.unsaved = 0;
      removeStale(paths, path.basename(file));
      // The saved file has every change up to seq: the log keeps only what it lacks.
      store.vectors.pruneChanges(entry.collectionId, entry.modelId, seq);
    } catch (error) {
      // Index files are a cache: a failed save costs a catch-up later, never data.
      logger.warn('ann index could not be saved', { collectionId: entry.collectionId, error: (error as Error).message });
      rmSync(file, { force: true });
      rmSync(`${file}.graph`, { force: true });
    }
  }

  /**
   * Brings an index up to date: the one given (or the saved file) caught up from the log, or a
   * rebuild when that cannot be done or the collection wants another kind. Null without vectors.
   */
  function refresh(current: Entry | null, collectionId: string, modelId: string, paths: IndexPaths): Entry | null {
    let entry = current;
    if (entry && !catchUp(entry)) entry = null;
    if (!entry) entry = load(collectionId, modelId, paths);
    if (entry && !catchUp(entry)) entry = null;
    if (entry && wantedKind(collectionId, entry.index.size(), entry.index.kind) !== entry.index.kind) entry = null;
    return entry ?? rebuild(collectionId, modelId, paths);
  }

  return { dimensionsOf, wantedKind, load, loadAsync, catchUp, save, refresh };
}

export type IndexWork = ReturnType<typeof createIndexWork>;
