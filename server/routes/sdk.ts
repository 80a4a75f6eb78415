import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import type { RouteDoc } from '../openapi.ts';

export const sdkDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/sdk.js',
    summary: 'The SDK as one ES module for pages without a bundler: import { Cairn } from "/sdk.js"',
    tag: 'Operations',
  },
];

const ENTRY = fileURLToPath(new URL('../../sdk/index.ts', import.meta.url));

/**
 * The SDK bundled from its TypeScript by esbuild (installed with tsx), once per process: a fresh
 * clone serves it with no build step, and it is always the SDK of the running server. Type-only
 * imports vanish, so the bundle holds sdk/ alone; node:fs is imported only for path uploads in Node.
 */
export async function bundleSdk(entry = ENTRY): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['node:*'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

export function createSdkRoutes(bundle: () => Promise<string> = bundleSdk) {
  let cached: Promise<string> | undefined;
  return new Hono<AppEnv>().get('/sdk.js', async (c) => {
    cached ??= bundle().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    const code = await cached;
    return c.body(code, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });
}
