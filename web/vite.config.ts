import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The chat app: web/index.html and web/src/, Preact with JSX, built to web/dist (ignored by git)
 * at `npm install` (prepare) or on the first request of / when missing. Served under /ui/.
 */
export default defineConfig({
  root,
  base: '/ui/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // pdf.js is loaded only when a PDF source is opened; it is large by nature.
    chunkSizeWarningLimit: 1500,
  },
});
