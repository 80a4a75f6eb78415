import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `vite build` writes the chat app (ignored by git; made at `npm install` or on first request). */
export const WEB_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
const CONFIG = fileURLToPath(new URL('./vite.config.ts', import.meta.url));

/** Builds the chat app with Vite into web/dist. */
export async function buildWebApp(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn' });
}

let pending: Promise<void> | null = null;

/** The app's build, made once when web/dist is missing (a checkout run without `npm install`); a failure is retried next time. */
export function ensureWebApp(): Promise<void> {
  if (existsSync(`${WEB_DIST}index.html`)) return Promise.resolve();
  pending ??= buildWebApp().catch((error: unknown) => {
    pending = null;
    throw error;
  });
  return pending;
}

// `node --import tsx web/build.ts` (the prepare script) builds it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebApp();
}
