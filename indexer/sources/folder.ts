import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';

export interface WalkOptions {
  include: string[];
  exclude: string[];
}

/** A glob test on paths relative to the root (POSIX separators); dotfiles match like any other. */
function matcher(options: WalkOptions): (relative: string) => boolean {
  const include = options.include.length > 0 ? picomatch(options.include, { dot: true }) : () => true;
  const exclude = options.exclude.length > 0 ? picomatch(options.exclude, { dot: true }) : () => false;
  return (relative) => include(relative) && !exclude(relative);
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Every file under a folder, recursively, sorted, filtered by include/exclude globs. Symbolic
 * links are followed only when their target stays inside the root, and each real folder is
 * visited once, so link cycles end.
 */
export async function walkFolder(root: string, options: WalkOptions): Promise<string[]> {
  const realRoot = await realpath(root);
  const accept = matcher(options);
  const excluded = options.exclude.length > 0 ? picomatch(options.exclude, { dot: true }) : () => false;
  const seen = new Set<string>();
  const files: string[] = [];
  const visit = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = [];
    for await (const entry of await opendir(folder)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (!target || !isInside(realRoot, target)) continue;
        const info = await stat(target);
        isDir = info.isDirectory();
        isFile = info.isFile();
      }
      if (isDir && !excluded(`${relative}/`) && !excluded(relative)) await visit(full);
      else if (isFile && accept(relative)) files.push(full);
    }
  };
  await visit(root);
  return files;
}
