import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { CairnError } from '../../core/index.ts';
import { isMetric, writeFileAtomic } from './index-file.ts';
import type { Metric, VectorIndexKind } from './types.ts';

/**
 * Each (collection, model) index lives under <dataDir>/indexes/<collection>/ as data files named
 * with a fresh generation (never overwritten) plus a small JSON manifest that names the current
 * one. Renaming the manifest into place is the commit: a crash before it leaves the previous
 * generation in force, and stray generations are removed on the next save.
 */
export interface Manifest {
  format: 1;
  /**
   * The database the index was built from (Store.id). Absent in manifests written before it was
   * recorded: those count as another database's (one rebuild), since nothing tells them apart.
   */
  storeId?: string;
  collectionId: string;
  modelId: string;
  kind: VectorIndexKind;
  metric: Metric;
  dimensions: number;
  /** Highest vector_changes seq the index contains. */
  seq: number;
  count: number;
  /** Data file name, relative to the manifest's folder. */
  file: string;
  savedAt: string;
}

export interface IndexPaths {
  folder: string;
  manifest: string;
  /** File-name prefix shared by this index's generations. */
  base: string;
}

function safeName(text: string): string {
  const slug = text.replace(/[^a-zA-Z0-9._-]+/g, '_').slice(0, 60);
  return `${slug}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

export function indexPaths(dataDir: string, collectionId: string, modelId: string): IndexPaths {
  const folder = path.join(dataDir, 'indexes', safeName(collectionId));
  const base = safeName(modelId);
  return { folder, base, manifest: path.join(folder, `${base}.json`) };
}

export function collectionFolder(dataDir: string, collectionId: string): string {
  return path.join(dataDir, 'indexes', safeName(collectionId));
}

/** The manifest, or null when there is none; unreadable or inconsistent ones are INDEX_CORRUPT. */
export function readManifest(paths: IndexPaths): Manifest | null {
  if (!existsSync(paths.manifest)) return null;
  let parsed: Partial<Manifest>;
  try {
    parsed = JSON.parse(readFileSync(paths.manifest, 'utf8')) as Partial<Manifest>;
  } catch (error) {
    throw new CairnError('INDEX_CORRUPT', `Index manifest ${paths.manifest} is unreadable: ${(error as Error).message}`);
  }
  const ok =
    parsed.format === 1 &&
    typeof parsed.collectionId === 'string' &&
    typeof parsed.modelId === 'string' &&
    (parsed.kind === 'flat' || parsed.kind === 'hnsw' || parsed.kind === 'ivf') &&
    isMetric(parsed.metric) &&
    Number.isInteger(parsed.dimensions) &&
    Number.isInteger(parsed.seq) &&
    Number.isInteger(parsed.count) &&
    typeof parsed.file === 'string' &&
    !parsed.file.includes('/') &&
    (parsed.storeId === undefined || typeof parsed.storeId === 'string');
  if (!ok) throw new CairnError('INDEX_CORRUPT', `Index manifest ${paths.manifest} is not valid`);
  return parsed as Manifest;
}

/**
 * A manifest written from another database (or before manifests named theirs): its seq counts
 * another change log, so it must neither be loaded nor stop this database's index being saved.
 */
export function isForeignManifest(manifest: Manifest, storeId: string): boolean {
  return manifest.storeId !== storeId;
}

let generation = 0;

export function nextDataFile(paths: IndexPaths, kind: VectorIndexKind): string {
  generation += 1;
  mkdirSync(paths.folder, { recursive: true });
  // Process, thread and counter: the server's search workers are threads of one process that may save at once.
  const unique = `${Date.now().toString(36)}${process.pid.toString(36)}t${threadId}g${generation}`;
  return path.join(paths.folder, `${paths.base}.${unique}.${kind}`);
}

export function writeManifest(paths: IndexPaths, manifest: Manifest): void {
  writeFileAtomic(paths.manifest, [Buffer.from(JSON.stringify(manifest, null, 2))]);
}

/** Removes this index's files other than the manifest and the current data file (and its graph). */
export function removeStale(paths: IndexPaths, keep: string | null): void {
  if (!existsSync(paths.folder)) return;
  for (const name of readdirSync(paths.folder)) {
    if (!name.startsWith(`${paths.base}.`) || name === path.basename(paths.manifest)) continue;
    if (keep && (name === keep || name.startsWith(`${keep}.`))) continue;
    // A temporary file may belong to a save in flight in another process.
    if (name.includes('.tmp-')) continue;
    // The build lease belongs to whichever writer holds it.
    if (name.includes('.build-lock')) continue;
    rmSync(path.join(paths.folder, name), { force: true });
  }
}
