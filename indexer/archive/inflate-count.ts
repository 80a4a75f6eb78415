import { createInflateRaw } from 'node:zlib';
import { CairnError, isCairnError } from '../../core/index.ts';
import type { ArchiveLimits } from './zip-directory.ts';

/** Below this many inflated bytes an entry cannot hurt, whatever its ratio (tiny XML parts compress 100:1). */
export const RATIO_GRACE_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** The inflation budget shared by every entry of an archive and of the archives inside it. */
export interface Budget {
  used: number;
  readonly limits: ArchiveLimits;
  /** The outer archive's display name, for messages. */
  readonly archive: string;
}

export interface EntryToInflate {
  /** The entry's path, with `!/` between nesting levels. */
  path: string;
  compressed: Buffer;
  method: number;
  /** Whether an archive found inside may be kept for checking (false: it is refused as nested too deep). */
  mayNest: boolean;
}

export interface Inflated {
  size: number;
  /** The entry's bytes when they are themselves a ZIP archive, to be checked in turn. */
  nested: Buffer | null;
}

function isZipMagic(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && head[3] === head[2] + 1;
}

type Limit = 'ARCHIVE_NESTED' | 'ARCHIVE_TOO_LARGE' | 'ARCHIVE_RATIO' | 'NESTED_TOO_LARGE';

function refusal(kind: Limit, entry: EntryToInflate, { archive, limits }: Budget): CairnError {
  const at = { file: archive, entry: entry.path };
  switch (kind) {
    case 'ARCHIVE_NESTED':
      return new CairnError(
        kind,
        `${archive}: ${entry.path} is an archive inside an archive, nested deeper than ${limits.maxDepth} level(s)`,
        {
          ...at,
          limit: limits.maxDepth,
        },
      );
    case 'ARCHIVE_TOO_LARGE':
      return new CairnError(kind, `${archive} decompresses to more than ${limits.maxBytes} bytes`, {
        file: archive,
        limit: limits.maxBytes,
      });
    case 'ARCHIVE_RATIO':
      return new CairnError(
        kind,
        `${archive}: ${entry.path} inflates more than ${limits.maxRatio} times its compressed size (a zip bomb?)`,
        {
          ...at,
          limit: limits.maxRatio,
        },
      );
    case 'NESTED_TOO_LARGE':
      return new CairnError(
        'ARCHIVE_TOO_LARGE',
        `${archive}: the nested archive ${entry.path} is larger than ${limits.maxNestedBytes} bytes`,
        {
          ...at,
          limit: limits.maxNestedBytes,
        },
      );
  }
}

/** Counts inflated bytes as they come, throwing as soon as a limit is passed; keeps only a nested archive. */
function createCounter(entry: EntryToInflate, budget: Budget) {
  const { limits } = budget;
  let size = 0;
  let head: Buffer[] | null = [];
  let kept: Buffer[] | null = null;
  // The first four bytes say whether the entry is itself a ZIP, to be kept and checked in turn.
  const decide = (force: boolean) => {
    const start = Buffer.concat(head ?? []);
    if (start.length < 4 && !force) return;
    head = null;
    if (!isZipMagic(start)) return;
    if (!entry.mayNest) throw refusal('ARCHIVE_NESTED', entry, budget);
    kept = [start];
  };
  const add = (chunk: Buffer) => {
    size += chunk.length;
    budget.used += chunk.length;
    if (budget.used > limits.maxBytes) throw refusal('ARCHIVE_TOO_LARGE', entry, budget);
    const ratio = size / Math.max(1, entry.compressed.length);
    if (size > RATIO_GRACE_BYTES && ratio > limits.maxRatio) throw refusal('ARCHIVE_RATIO', entry, budget);
    if (head) {
      head.push(chunk);
      decide(false);
    } else if (kept) kept.push(chunk);
    if (kept && size > limits.maxNestedBytes) throw refusal('NESTED_TOO_LARGE', entry, budget);
  };
  const result = (): Inflated => {
    if (head) decide(true);
    return { size, nested: kept ? Buffer.concat(kept) : null };
  };
  return { add, result };
}

/**
 * Inflates one entry on zlib's thread pool, never holding more than a chunk (the request thread
 * only counts), and stops at the first limit passed: declared sizes are never consulted.
 */
export async function inflateEntry(entry: EntryToInflate, budget: Budget): Promise<Inflated> {
  const counter = createCounter(entry, budget);
  if (entry.method === 0) {
    for (let at = 0; at < entry.compressed.length; at += CHUNK_BYTES)
      counter.add(entry.compressed.subarray(at, at + CHUNK_BYTES));
    return counter.result();
  }
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: CHUNK_BYTES });
    inflater.on('data', (chunk: Buffer) => {
      try {
        counter.add(chunk);
      } catch (error) {
        inflater.destroy(error as Error);
      }
    });
    inflater.on('error', (error) => {
      if (isCairnError(error)) return reject(error);
      const why = `${entry.path}: ${error.message}`;
      reject(new CairnError('LOADER_FAILED', `The ZIP container ${budget.archive} is damaged: ${why}`, { file: budget.archive }));
    });
    inflater.on('end', () => {
      try {
        resolve(counter.result());
      } catch (error) {
        reject(error);
      }
    });
    inflater.end(entry.compressed);
  });
}
