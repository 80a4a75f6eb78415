import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The widget's entry: every script tag and <cairn-chat> element starts here. */
const ENTRY = new URL('./main.ts', import.meta.url);

export interface WidgetBundle {
  js: string;
  gzipped: Uint8Array<ArrayBuffer>;
  etag: string;
}

/**
 * Bundles the widget into one self-contained classic script (embed.js), minified, for browsers
 * of 2022 on (ES2022). Built in memory on first use: nothing to commit, nothing to go stale on disk.
 */
export async function buildWidget(): Promise<WidgetBundle> {
  const result = await build({
    entryPoints: [ENTRY.pathname],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    // Preact's automatic JSX runtime, as the app (web/tsconfig.json) and the type check use.
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // The SDK reads a file path with node:fs only in Node; the widget never passes one.
    external: ['node:*'],
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text ?? '';
  const gzipped = new Uint8Array(gzipSync(js, { level: 9 }));
  const { createHash } = await import('node:crypto');
  return { js, gzipped, etag: `"${createHash('sha256').update(js).digest('hex').slice(0, 16)}"` };
}

let cached: Promise<WidgetBundle> | null = null;

/** The one bundle of this process; a failed build is retried on the next request. */
export function widgetBundle(): Promise<WidgetBundle> {
  cached ??= buildWidget().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}
