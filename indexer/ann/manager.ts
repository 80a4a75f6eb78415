import { rmSync } from 'node:fs';
import type { Config, Logger } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { leaseFile, tryAcquireLease } from './build-lease.ts';
import { createThreadBuilder, type IndexBuilder } from './builder.ts';
import { createIndexWork, type Entry } from './index-work.ts';
import { collectionFolder, type IndexPaths, indexPaths, isForeignManifest, readManifest } from './manifest.ts';
import { applyChanges, emptyOverlay, LayeredIndex, type Overlay, overlayOfEverything } from './overlay.ts';
import type { VectorIndex } from './types.ts';

export interface AnnManagerOptions {
  store: Store;
  dataDir: string;
  config: Config['index'];
  logger: Logger;
  /** Where background builds run: a worker thread per build unless given. */
  builder?: IndexBuilder;
  /**
   * 'inline': every build, catch-up and save runs in the caller, whatever the size. For one-shot
   * commands and benches (cairn search, eval) that exit after a few searches and would otherwise
   * end each build they start; a server keeps 'background'.
   */
  builds?: 'background' | 'inline';
}

export interface AnnManager {
  /** The collection's index for a model, exact for every change made so far; null when it has no vectors for it. */
  get(collectionId: string, modelId: string): Promise<VectorIndex | null>;
  drop(collectionId: string): Promise<void>;
  /** Resolves when the background builds started so far are done and swapped in. */
  idle(): Promise<void>;
  saveAll(): Promise<void>;
  close(): Promise<void>;
}

interface Slot {
  key: string;
  collectionId: string;
  modelId: string;
  paths: IndexPaths;
  /** The last complete index (the base) with the seq it holds. */
  entry: Entry | null;
  /** Changes after the base's seq, applied exactly; null while the base itself is caught up (small collections). */
  overlay: Overlay | null;
  view: LayeredIndex | null;
  job: Promise<void> | null;
  /** A newer saved file being read in the background (adoptLater). */
  adopting: Promise<void> | null;
  retryAt: number;
  dropped: boolean;
}

/** After a failed build, the next try waits this long. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** While another writer holds the lease, look again after this long. */
const RETRY_AFTER_BUSY_MS = 1_000;

/**
 * One index per (collection, model), derived from SQLite; files are only a cache. Small
 * collections are caught up and saved in the search that needs it (milliseconds). Big ones are
 * never built in a search: a search uses the last complete index plus an exact overlay of the
 * changes after it (from the vector_changes log), while a background builder (one writer at a
 * time across threads and processes, by lease) builds, catches up and saves; every searcher then
 * loads the new file instead of building its own.
 */
export function createAnnManager(options: AnnManagerOptions): AnnManager {
  const { store, dataDir, config, logger } = options;
  const work = createIndexWork({ store, config, logger });
  const builder = options.builder ?? createThreadBuilder({ store, dataDir, config, logger });
  const slots = new Map<string, Slot>();
  const locks = new Map<string, Promise<unknown>>();
  const jobs = new Set<Promise<void>>();
  let closing = false;

  function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  function slotFor(collectionId: string, modelId: string): Slot {
    const key = `${collectionId}\u0000${modelId}`;
    let slot = slots.get(key);
    if (!slot) {
      const paths = indexPaths(dataDir, collectionId, modelId);
      slot = {
        key,
        collectionId,
        modelId,
        paths,
        entry: null,
        overlay: null,
        view: null,
        job: null,
        adopting: null,
        retryAt: 0,
        dropped: false,
      };
      slots.set(key, slot);
    }
    return slot;
  }

  /**
   * Whether a saved file is newer than the base this slot holds. Another database's file (indexes/
   * kept over a new cairn.db) never is: its seq counts another log; a build replaces it.
   */
  function hasNewerSaved(slot: Slot): boolean {
    if (!slot.entry && !slot.overlay) return false;
    try {
      const manifest = readManifest(slot.paths);
      const seq = manifest && !isForeignManifest(manifest, store.id) ? manifest.seq : -1;
      return seq > (slot.entry?.seq ?? -1);
    } catch {
      return false;
    }
  }

  function swapIn(slot: Slot, loaded: Entry | null): void {
    // An inline refresh may have moved the base past the file meanwhile.
    if (!loaded || slot.dropped || loaded.seq <= (slot.entry?.seq ?? -1)) return;
    slot.entry = loaded;
    slot.overlay = null;
    slot.view = null;
  }

  /** Swaps in a newer saved file now: where the overlay cannot go on without it. */
  function adoptNewer(slot: Slot): void {
    if (hasNewerSaved(slot)) swapIn(slot, work.load(slot.collectionId, slot.modelId, slot.paths));
  }

  /**
   * Reads a newer saved file in the background (an hnsw graph off the thread) and swaps it in when
   * read; searches meanwhile answer from the base and overlay they have, which stay exact.
   */
  function adoptLater(slot: Slot): void {
    if (slot.adopting || closing || !hasNewerSaved(slot)) return;
    const adopting = work
      .loadAsync(slot.collectionId, slot.modelId, slot.paths)
      .then((loaded) => swapIn(slot, loaded))
      .finally(() => {
        slot.adopting = null;
        jobs.delete(adopting);
      });
    slot.adopting = adopting;
    jobs.add(adopting);
  }

  /** Pending work is small enough to do here: cheaper than keeping an overlay for it. */
  function isSmall(slot: Slot): boolean {
    if (options.builds === 'inline') return true;
    const { collectionId, modelId } = slot;
    if (!slot.entry && !slot.overlay) return store.vectors.count(collectionId, modelId) < config.inlineBelow;
    const base = slot.entry?.index.size() ?? 0;
    const pending = slot.overlay
      ? slot.overlay.added.size()
      : store.vectors.lastChange(collectionId, modelId) - (slot.entry?.seq ?? 0);
    return base + Math.max(0, pending) < config.inlineBelow;
  }

  async function saveLeased(entry: Entry): Promise<void> {
    const lease = tryAcquireLease(leaseFile(entry.paths.folder, entry.paths.base));
    // Another writer is saving this index: ours waits for the next change.
    if (!lease) return;
    try {
      await work.save(entry);
    } finally {
      lease.release();
    }
  }

  async function inline(slot: Slot): Promise<VectorIndex | null> {
    const entry = work.refresh(slot.entry, slot.collectionId, slot.modelId, slot.paths);
    Object.assign(slot, { entry, overlay: null, view: null });
    if (!entry) return null;
    // A save costs time in proportion to the index; big ones wait for a tenth of their size in changes.
    if (entry.unsaved >= Math.max(config.saveAfterChanges, entry.index.size() / 10)) await saveLeased(entry);
    return entry.index.size() > 0 ? entry.index : null;
  }

  /** The overlay brought up to the newest change; rebuilt when the log it needs was pruned. */
  function currentOverlay(slot: Slot, dimensions: number): Overlay {
    const source = { store, collectionId: slot.collectionId, modelId: slot.modelId, dimensions, metric: config.metric };
    if (slot.overlay && applyChanges(slot.overlay, source)) return slot.overlay;
    slot.view = null;
    // The log before our overlay was pruned: a builder saved a newer file.
    if (slot.overlay) adoptNewer(slot);
    if (slot.entry) {
      const fresh = emptyOverlay(source, slot.entry.seq);
      if (applyChanges(fresh, source)) {
        slot.overlay = fresh;
        return fresh;
      }
      slot.entry = null;
    }
    const everything = overlayOfEverything(source);
    slot.overlay = everything;
    return everything;
  }

  function layered(slot: Slot): VectorIndex | null {
    if (!slot.entry && !slot.overlay) slot.entry = work.load(slot.collectionId, slot.modelId, slot.paths);
    const dimensions = slot.entry?.index.dimensions ?? work.dimensionsOf(slot.collectionId, slot.modelId);
    if (dimensions === null) return null;
    const overlay = currentOverlay(slot, dimensions);
    schedule(slot);
    if (slot.entry && overlay.added.size() === 0 && overlay.hidden.size === 0) {
      return slot.entry.index.size() > 0 ? slot.entry.index : null;
    }
    slot.view ??= new LayeredIndex(slot.entry?.index ?? null, overlay);
    return slot.view.size() > 0 ? slot.view : null;
  }

  function needsBuild(slot: Slot): boolean {
    const { entry, overlay } = slot;
    if (!entry) return true;
    const size = entry.index.size();
    if (overlay && overlay.changes >= Math.max(config.saveAfterChanges, size / 10)) return true;
    return work.wantedKind(slot.collectionId, size, entry.index.kind) !== entry.index.kind;
  }

  function schedule(slot: Slot): void {
    if (slot.job || closing || Date.now() < slot.retryAt || !needsBuild(slot)) return;
    const job = build(slot).finally(() => {
      slot.job = null;
      jobs.delete(job);
    });
    slot.job = job;
    jobs.add(job);
  }

  async function build(slot: Slot): Promise<void> {
    const { collectionId, modelId } = slot;
    const lease = tryAcquireLease(leaseFile(slot.paths.folder, slot.paths.base));
    if (!lease) {
      // Another thread or process is building it; its file is adopted once it is ready.
      slot.retryAt = Date.now() + RETRY_AFTER_BUSY_MS;
      return;
    }
    try {
      await builder.build({ collectionId, modelId });
    } catch (error) {
      if (!closing) logger.warn('ann index build failed', { collectionId, modelId, error: (error as Error).message });
      slot.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    } finally {
      lease.release();
    }
    if (slot.dropped) return forget(collectionId);
    if (!closing) adoptLater(slot);
  }

  function forget(collectionId: string): void {
    rmSync(collectionFolder(dataDir, collectionId), { recursive: true, force: true });
    if (!store.collections.get(collectionId)) store.vectors.forgetCollection(collectionId);
  }

  async function open(collectionId: string, modelId: string): Promise<VectorIndex | null> {
    const slot = slotFor(collectionId, modelId);
    adoptLater(slot);
    const index = isSmall(slot) ? await inline(slot) : layered(slot);
    if (!slot.entry && !slot.overlay) slots.delete(slot.key);
    return index;
  }

  async function idle(): Promise<void> {
    while (jobs.size > 0) await Promise.all([...jobs]);
  }

  async function saveInline(): Promise<void> {
    for (const slot of slots.values()) {
      await withLock(slot.key, async () => {
        if (slot.entry && !slot.overlay && slot.entry.unsaved > 0) await saveLeased(slot.entry);
      });
    }
  }

  return {
    get: (collectionId, modelId) => withLock(`${collectionId}\u0000${modelId}`, () => open(collectionId, modelId)),
    drop: async (collectionId) => {
      for (const [key, slot] of slots) {
        if (slot.collectionId !== collectionId) continue;
        slot.dropped = true;
        slots.delete(key);
      }
      forget(collectionId);
    },
    idle,
    saveAll: async () => {
      await idle();
      await saveInline();
    },
    close: async () => {
      closing = true;
      // A build in flight is abandoned, not awaited: the next start resumes from the file and the log.
      await builder.close();
      await idle();
      await saveInline();
      slots.clear();
    },
  };
}
