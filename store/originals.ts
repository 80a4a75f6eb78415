import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './database.ts';

/** The folder of kept originals inside a data folder. */
export function originalsDir(dataDir: string): string {
  return path.join(dataDir, 'files');
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Original bytes of uploaded documents, kept content-addressed as `<dataDir>/files/<sha256>` so
 * the same file uploaded twice (or into two collections) is kept once. A file lives exactly as long
 * as some document's content hash names it: it is dropped with the last such document.
 */
export function createOriginals(db: Db, dir: string) {
  const used = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM documents WHERE content_hash = ?');
  const referenced = (hash: string): boolean => (used.get(hash)?.n ?? 0) > 0;
  const fileOf = (hash: string): string | null => (HASH.test(hash) ? path.join(dir, hash) : null);

  return {
    /** The kept file of a content hash, or null when none is kept. */
    path(hash: string): string | null {
      const file = fileOf(hash);
      return file && existsSync(file) ? file : null;
    },
    /** Keeps `from` (bytes hashing to `hash`) when a document names that hash; a link, else a copy. */
    keep(hash: string, from: string): boolean {
      const file = fileOf(hash);
      if (!file || !referenced(hash) || !existsSync(from)) return false;
      if (existsSync(file)) return true;
      mkdirSync(dir, { recursive: true });
      try {
        linkSync(from, file);
      } catch {
        copyFileSync(from, file);
      }
      return true;
    },
    /** Removes the hash's file when no document names it any more. */
    release(hash: string): void {
      const file = fileOf(hash);
      if (file && !referenced(hash)) rmSync(file, { force: true });
    },
    /** Removes every kept file no document names (after deletes, replaces and collection drops). */
    prune(): string[] {
      if (!existsSync(dir)) return [];
      const gone = readdirSync(dir).filter((name) => !HASH.test(name) || !referenced(name));
      for (const name of gone) rmSync(path.join(dir, name), { force: true });
      return gone;
    },
  };
}

export type Originals = ReturnType<typeof createOriginals>;
