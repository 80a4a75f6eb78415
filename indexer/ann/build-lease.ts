import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * One index writer at a time across threads and processes: a lock file created exclusively
 * (O_EXCL), kept fresh by its holder, and taken over once it has gone stale (its holder died).
 * A lost race costs a duplicate build, never a wrong index: data files have unique names and the
 * manifest is renamed into place, so the worst case is one build's work thrown away.
 */
export interface BuildLease {
  release(): void;
}

export interface LeaseOptions {
  /** A lock not refreshed for this long belongs to a dead holder. */
  staleMs?: number;
  /** How often a holder refreshes its lock. */
  refreshMs?: number;
}

const STALE_MS = 60_000;
const REFRESH_MS = 5_000;

export function leaseFile(folder: string, base: string): string {
  return path.join(folder, `${base}.build-lock`);
}

function create(file: string, token: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, JSON.stringify({ token, pid: process.pid, thread: threadId, at: new Date().toISOString() }));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isStale(file: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > staleMs;
  } catch {
    return true;
  }
}

function holderToken(file: string): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { token?: string }).token ?? null;
  } catch {
    return null;
  }
}

/** The lease, or null when another live writer holds it. */
export function tryAcquireLease(file: string, options: LeaseOptions = {}): BuildLease | null {
  const token = randomUUID();
  mkdirSync(path.dirname(file), { recursive: true });
  if (!create(file, token)) {
    if (!isStale(file, options.staleMs ?? STALE_MS)) return null;
    // Moved aside rather than deleted: of two takers, only one rename finds the stale file.
    try {
      renameSync(file, `${file}.stale-${token}`);
      rmSync(`${file}.stale-${token}`, { force: true });
    } catch {
      return null;
    }
    if (!create(file, token)) return null;
  }
  const timer = setInterval(() => {
    const now = new Date();
    try {
      if (holderToken(file) === token) utimesSync(file, now, now);
    } catch {
      // The folder was removed (collection dropped): nothing to keep fresh.
    }
  }, options.refreshMs ?? REFRESH_MS);
  timer.unref();
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      clearInterval(timer);
      if (holderToken(file) === token) rmSync(file, { force: true });
    },
  };
}
