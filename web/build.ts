import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `vite build` writes the chat app (ignored by git; made at `npm install` or on first request). */
export const WEB_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
const CONFIG = fileURLToPath(new URL('./vite.config.ts', import.meta.url));

/** Builds the chat app with Vite into `outDir` (web/dist). */
export async function buildWebApp(outDir = WEB_DIST): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

const pending = new Map<string, Promise<void>>();

/**
 * The app's build, made once when `outDir` has none (a checkout started without `npm install`);
 * concurrent first requests share it, and a failure is retried next time.
 */
export function ensureWebApp(outDir = WEB_DIST): Promise<void> {
  if (existsSync(path.join(outDir, 'index.html'))) return Promise.resolve();
  let build = pending.get(outDir);
  if (!build) {
    build = buildWebApp(outDir).finally(() => pending.delete(outDir));
    pending.set(outDir, build);
  }
  return build;
}

// `node --import tsx web/build.ts` (the prepare script) builds it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebApp();
}
