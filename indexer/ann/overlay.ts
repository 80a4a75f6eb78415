import { CairnError } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { FlatIndex } from './flat.ts';
import type { IndexDescription, Metric, SearchHit, SearchOptions, VectorIndex } from './types.ts';
import { vectorPages } from './vector-pages.ts';

/**
 * The changes a search sees on top of the last complete index: vectors added or replaced since its
 * seq, held in an exact (flat) index, and the labels the base must no longer answer for. Kept up
 * to date from the change log in the search's thread; the base is rebuilt in the background.
 */
export interface Overlay {
  /** Changes up to this seq are applied. */
  seq: number;
  added: FlatIndex;
  /** Removed or replaced since the base's seq: the base must not return them. */
  hidden: Set<number>;
  /** Change rows applied: how far the base has fallen behind. */
  changes: number;
  /** Bumped on every change, so views recount what they hide. */
  version: number;
}

interface OverlaySource {
  store: Store;
  collectionId: string;
  modelId: string;
  dimensions: number;
  metric: Metric;
}

export function emptyOverlay(source: OverlaySource, seq: number): Overlay {
  return {
    seq,
    added: new FlatIndex({ dimensions: source.dimensions, metric: source.metric }),
    hidden: new Set(),
    changes: 0,
    version: 0,
  };
}

/**
 * No usable base: every vector of the collection, exact. Read in pages (vector-pages.ts) from the
 * seq read before the first page, then brought up to date from the log, which repairs what changed
 * while the pages were read; in one snapshot when that part of the log was pruned meanwhile.
 */
export function overlayOfEverything(source: OverlaySource): Overlay {
  const paged = readEverything(source);
  if (applyChanges(paged, source)) return paged;
  return source.store.db.transaction(() => readEverything(source))();
}

function readEverything(source: OverlaySource): Overlay {
  const { store, collectionId, modelId } = source;
  const { count, seq } = store.db.transaction(() => ({
    count: store.vectors.count(collectionId, modelId),
    seq: store.vectors.lastChange(collectionId, modelId),
  }))();
  const added = new FlatIndex({ dimensions: source.dimensions, metric: source.metric, capacity: count });
  for (const page of vectorPages(store, collectionId, modelId)) {
    const fits = page.vectors.flatMap((vector, i) => (vector.length === source.dimensions ? [i] : []));
    if (fits.length > 0) {
      added.add(
        fits.map((i) => page.labels[i] as number),
        fits.map((i) => page.vectors[i] as Float32Array),
      );
    }
  }
  return { seq, added, hidden: new Set<number>(), changes: count, version: 0 };
}

/** Applies the log after overlay.seq; false when that part of the log was pruned (a newer file exists). */
export function applyChanges(overlay: Overlay, source: OverlaySource): boolean {
  const { store, collectionId, modelId } = source;
  return store.db.transaction(() => {
    const last = store.vectors.lastChange(collectionId, modelId);
    if (last === overlay.seq) return true;
    if (last < overlay.seq || overlay.seq < store.vectors.changeFloor(collectionId, modelId)) return false;
    const changes = store.vectors.changesSince(collectionId, modelId, overlay.seq);
    const finalOp = new Map<number, 'add' | 'remove'>();
    for (const change of changes) finalOp.set(change.rowid, change.op);
    const added = [...finalOp].filter(([, op]) => op === 'add').map(([rowid]) => rowid);
    const vectors = store.vectors.getMany(added, modelId);
    const present = added.filter((rowid) => vectors.get(rowid)?.length === source.dimensions);
    for (const rowid of finalOp.keys()) overlay.hidden.add(rowid);
    const kept = new Set(present);
    overlay.added.remove([...finalOp.keys()].filter((rowid) => !kept.has(rowid)));
    if (present.length > 0) {
      overlay.added.add(
        present,
        present.map((rowid) => vectors.get(rowid)!),
      );
    }
    overlay.seq = changes.at(-1)?.seq ?? last;
    overlay.changes += changes.length;
    overlay.version += 1;
    return true;
  })();
}

/** Above this many hidden labels in the base, a base search filters instead of over-fetching. */
const OVERFETCH_UP_TO = 256;

/**
 * The base index (or none) plus an overlay, answering like one index: the base's hits minus what
 * the overlay hides, merged with the overlay's exact hits. Read-only.
 */
export class LayeredIndex implements VectorIndex {
  readonly kind;
  readonly dimensions: number;
  readonly metric: Metric;
  private hiddenCount = -1;
  private countedAt = -1;

  constructor(
    private readonly base: VectorIndex | null,
    private readonly overlay: Overlay,
  ) {
    this.kind = base?.kind ?? 'flat';
    this.dimensions = overlay.added.dimensions;
    this.metric = overlay.added.metric;
  }

  /** Hidden labels the base still holds (it is what the base's answers must skip). */
  private hiddenInBase(): number {
    if (!this.base) return 0;
    if (this.countedAt !== this.overlay.version) {
      let n = 0;
      for (const label of this.overlay.hidden) if (this.base.has(label)) n += 1;
      this.hiddenCount = n;
      this.countedAt = this.overlay.version;
    }
    return this.hiddenCount;
  }

  private baseHits(query: Float32Array, k: number, options: SearchOptions): SearchHit[] {
    const base = this.base;
    if (!base || base.size() === 0) return [];
    const hidden = this.overlay.hidden;
    const extra = this.hiddenInBase();
    const filter = options.filter;
    const effort = options.effort === undefined ? {} : { effort: options.effort };
    if (filter instanceof Set) {
      const allowed = new Set<number>();
      for (const label of filter) if (!hidden.has(label)) allowed.add(label);
      return base.search(query, k, { ...effort, filter: allowed });
    }
    if (extra <= OVERFETCH_UP_TO) {
      const hits = base.search(query, k + extra, options);
      return hits.filter((hit) => !hidden.has(hit.label)).slice(0, k);
    }
    const keep = (label: number) => !hidden.has(label) && (filter === undefined || filter(label));
    return base.search(query, k, { ...effort, filter: keep });
  }

  search(query: Float32Array, k: number, options: SearchOptions = {}): SearchHit[] {
    const fromBase = this.baseHits(query, k, options);
    const fromOverlay = this.overlay.added.size() > 0 ? this.overlay.added.search(query, k, options) : [];
    if (fromOverlay.length === 0) return fromBase;
    return [...fromBase, ...fromOverlay].sort((a, b) => b.score - a.score || a.label - b.label).slice(0, k);
  }

  size(): number {
    return (this.base?.size() ?? 0) - this.hiddenInBase() + this.overlay.added.size();
  }

  has(label: number): boolean {
    return this.overlay.added.has(label) || (!this.overlay.hidden.has(label) && (this.base?.has(label) ?? false));
  }

  labels(): number[] {
    const fromBase = (this.base?.labels() ?? []).filter((label) => !this.overlay.hidden.has(label));
    return [...fromBase, ...this.overlay.added.labels()];
  }

  describe(): IndexDescription {
    const base = this.base?.describe();
    const added = this.overlay.added.describe();
    return {
      kind: this.kind,
      metric: this.metric,
      dimensions: this.dimensions,
      size: this.size(),
      memoryBytes: (base?.memoryBytes ?? 0) + added.memoryBytes,
      params: { ...(base?.params ?? {}), pendingChanges: this.overlay.changes },
    };
  }

  add(): void {
    throw new CairnError('INTERNAL', 'A layered index view is read-only');
  }

  remove(): void {
    throw new CairnError('INTERNAL', 'A layered index view is read-only');
  }

  async save(): Promise<void> {
    throw new CairnError('INTERNAL', 'A layered index view is not saved: the background builder saves the base');
  }
}
