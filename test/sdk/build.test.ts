import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdk } from '../../sdk/build/emit.ts';
import type * as Sdk from '../../sdk/index.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every module specifier a piece of JavaScript imports, statically or dynamically. */
function importsOf(code: string): string[] {
  const found = [...code.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
  const dynamic = [...code.matchAll(/import\(\s*(?:\/\*.*?\*\/\s*)*['"]([^'"]+)['"]\s*\)/gs)].map((m) => m[1] as string);
  return [...found, ...dynamic];
}

let running: SdkServer;
beforeAll(async () => {
  running = await startSdkServer();
});
afterAll(() => running.close());

describe('the SDK as JavaScript', () => {
  it('is served at /sdk.js as one ES module that imports nothing but node:fs (for paths, in Node only)', async () => {
    const response = await fetch(`${running.url}/sdk.js`);
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    const code = await response.text();
    expect(importsOf(code)).toEqual(['node:fs/promises']);
    expect(code).toMatch(/export \{[^}]*\bCairn\b/);
    const served = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as typeof Sdk;
    const health = await new served.Cairn({ baseUrl: running.url }).health();
    expect(health.status).toBe('ok');
  });

  it('is built by tsc into ESM with .d.ts, with no runtime import outside sdk/', { timeout: 120_000 }, () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'cairn-sdk-dist-'));
    try {
      const written = buildSdk(out).map((file) => path.relative(out, file));
      const js = written.filter((file) => file.endsWith('.js'));
      expect(js.every((file) => file.startsWith(`sdk${path.sep}`))).toBe(true);
      expect(written).toEqual(
        expect.arrayContaining(['sdk/index.js', 'sdk/index.d.ts', 'generation/types.d.ts', 'server/schemas.d.ts']),
      );
      for (const file of js) {
        const outside = importsOf(readFileSync(path.join(out, file), 'utf8')).filter((s) => !/^\.\/[\w-]+\.js$/.test(s));
        expect([file, outside]).toEqual([file, file === 'sdk/uploads.js' ? ['node:fs/promises'] : []]);
      }
      expect(readFileSync(path.join(out, 'sdk/index.d.ts'), 'utf8')).toContain("export { Cairn } from './client.ts'");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("imports as 'cairn/sdk' through package.json exports (built at npm install by prepare)", async () => {
    const specifier = 'cairn/sdk';
    expect(import.meta.resolve(specifier)).toBe(`file://${path.join(ROOT, 'dist/sdk/index.js')}`);
    const sdk = (await import(specifier)) as typeof Sdk;
    const error = await new sdk.Cairn({ baseUrl: running.url, maxRetries: 0 }).collections
      .get('missing')
      .catch((e: unknown) => e);
    expect([error instanceof sdk.NotFoundError, (error as Sdk.CairnError).code]).toEqual([true, 'COLLECTION_NOT_FOUND']);
  });
});
