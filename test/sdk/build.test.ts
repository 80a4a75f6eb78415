import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
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

/**
 * Type-checks a consumer of the built declarations as an installer's project would (strict, and
 * without skipLibCheck): its errors, and the files it loaded from outside the build and zod.
 */
function consumerDiagnostics(out: string): { diagnostics: string[]; outside: string[] } {
  const consumer = path.join(out, 'consumer.ts');
  writeFileSync(
    consumer,
    [
      "import { Cairn, type AnswerResult, type AskEvent, NotFoundError } from './sdk/index.js';",
      "const cairn = new Cairn({ baseUrl: 'http://127.0.0.1:8787', maxRetries: 1 });",
      "export const quote = async (): Promise<string | undefined> => (await cairn.ask('docs', { question: 'q' }).result()).citations[0]?.quote;",
      "export const text = (event: AskEvent): string => (event.type === 'token' ? event.text : '');",
      "export const decision = (result: AnswerResult): 'answered' | 'revised' | 'abstained' => result.decision;",
      'export const isMissing = (error: unknown): boolean => error instanceof NotFoundError;',
      "export const create = () => cairn.collections.create({ name: 'docs', chunking: { size: 400 } });",
      // Fails as an unused directive if the types were lost (any): they must be the server's.
      "// @ts-expect-error the server's decision is one of three words",
      "export const wrong: AnswerResult['decision'] = 'maybe';",
      '// @ts-expect-error a search needs a query',
      "export const bad = () => cairn.search('docs', { k: 3 });",
    ].join('\n'),
  );
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
  };
  const program = ts.createProgram([consumer], options);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const outside = program
    .getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => !f.startsWith(out) && !f.includes('/node_modules/zod/') && !f.includes('/node_modules/typescript/lib/'));
  return { diagnostics, outside };
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
    // Inside the project (.tmp/ is ignored) so that the declarations find zod as an installer would.
    mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    const out = mkdtempSync(path.join(ROOT, '.tmp', 'sdk-dist-'));
    try {
      const written = buildSdk(out).map((file) => path.relative(out, file));
      const js = written.filter((file) => file.endsWith('.js'));
      expect(js.every((file) => file.startsWith(`sdk${path.sep}`))).toBe(true);
      // The declarations stand alone: the server files whose types import the store, models or
      // indexes are not published; what sdk/ takes from them is copied into sdk/types.d.ts.
      const sdkFiles = [
        'ask-stream',
        'client',
        'errors',
        'http',
        'index',
        'keys',
        'resources',
        'sse',
        'tables',
        'types',
        'uploads',
      ];
      expect(written).toEqual(
        [
          'core/errors.d.ts',
          'core/types.d.ts',
          ...sdkFiles.flatMap((f) => [`sdk/${f}.d.ts`, `sdk/${f}.js`]),
          'server/schemas.d.ts',
          'server/webapi-schemas.d.ts',
        ].sort(),
      );
      const types = readFileSync(path.join(out, 'sdk/types.d.ts'), 'utf8');
      expect(types).toContain("import type { Citation, Passage } from '../core/types.js';");
      expect(types).toMatch(/\ninterface AnswerResult \{/);
      expect(types).not.toMatch(/from '\.\.\/(generation|retrieval|store|models|indexer)\//);
      for (const file of js) {
        const outside = importsOf(readFileSync(path.join(out, file), 'utf8')).filter((s) => !/^\.\/[\w-]+\.js$/.test(s));
        expect([file, outside]).toEqual([file, file === 'sdk/uploads.js' ? ['node:fs/promises'] : []]);
      }
      expect(readFileSync(path.join(out, 'sdk/index.d.ts'), 'utf8')).toContain("export { Cairn } from './client.js'");
      expect(consumerDiagnostics(out)).toEqual({ diagnostics: [], outside: [] });
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
