import type { Config } from '../../core/index.ts';
import { type Budget, inflateEntry } from './inflate-count.ts';
import { type ArchiveLimits, readDirectory } from './zip-directory.ts';
import { type CheckedEntry, rewriteZip } from './zip-write.ts';

declare const guarded: unique symbol;

/** ZIP bytes that passed the guard, rewritten so that what a reader sees is what was counted. */
export interface GuardedZip {
  readonly bytes: Buffer;
  readonly entries: number;
  /** Bytes inflated while checking, nested archives included. */
  readonly inflatedBytes: number;
  readonly [guarded]: true;
}

/** The archive limits from the config: the same for uploads, files, URLs and re-ingests. */
export function archiveLimits(server: Config['server']): ArchiveLimits {
  return {
    maxBytes: server.maxDecompressedBytes,
    maxEntries: server.maxArchiveEntries,
    maxRatio: server.maxArchiveRatio,
    maxDepth: server.maxArchiveDepth,
    maxNestedBytes: Math.min(server.maxFileBytes, server.maxDecompressedBytes),
  };
}

async function checkArchive(data: Buffer, prefix: string, budget: Budget, depth: number): Promise<CheckedEntry[]> {
  const label = prefix === '' ? budget.archive : `${budget.archive}: ${prefix.slice(0, -2)}`;
  const checked: CheckedEntry[] = [];
  for (const entry of readDirectory(data, label, budget.limits)) {
    const path = prefix + entry.name;
    const compressed = data.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
    const { size, nested } = await inflateEntry(
      { path, compressed, method: entry.method, mayNest: depth < budget.limits.maxDepth },
      budget,
    );
    if (nested) await checkArchive(nested, `${path}!/`, budget, depth + 1);
    checked.push({ entry, size });
  }
  return checked;
}

/**
 * The one ZIP guard, used by every path that opens an archive (uploads at the edge, then the DOCX
 * loader for files, URLs and re-ingests). It reads the central directory itself, refuses
 * prepended bytes, overlapping entries, ZIP64 and encryption, then inflates every entry as a
 * stream, counting the bytes really produced against the total, the per-entry ratio and the
 * nesting depth. Declared sizes are never trusted. Inflation runs on zlib's thread pool, so the
 * event loop only counts chunks.
 */
export async function guardZip(data: Uint8Array, name: string, limits: ArchiveLimits): Promise<GuardedZip> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const budget: Budget = { used: 0, limits, archive: name };
  const checked = await checkArchive(bytes, '', budget, 0);
  const result = { bytes: rewriteZip(bytes, checked), entries: checked.length, inflatedBytes: budget.used };
  return result as GuardedZip;
}
