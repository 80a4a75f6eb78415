/**
 * Builds the SDK into `dist/` with tsc's API: sdk/ as ESM JavaScript with .d.ts files. Its types
 * come from the server's own files by type-only imports; the published declarations import the
 * files that stand alone (core/types, core/errors, server/schemas with zod) and carry copies of the
 * rest (see flatten.ts), so a consumer's type check never loads the server. The tsc CLI cannot do
 * this: it emits every file the imports reach. Run by `npm run build:sdk` (prepare).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { flattenDeclarations, moduleSpecifier, standaloneFiles } from './flatten.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK = path.join(ROOT, 'sdk');

function readConfig(outDir: string): ts.ParsedCommandLine {
  const file = path.join(SDK, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    { outDir },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!parsed) throw new Error(`cannot read ${file}`);
  return parsed;
}

const inSdk = (file: string) => path.resolve(file).startsWith(SDK + path.sep) && !file.includes(`${path.sep}build${path.sep}`);
const resolve = (from: string, spec: string) => path.resolve(path.dirname(from), spec);

function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n',
  });
}

interface Rewrite {
  strip: Set<string>;
  header: string;
  body: string;
}

/** Per sdk/ file: the imports of non-standalone files to drop, and what replaces them. */
function planRewrites(program: ts.Program, standalone: (file: string) => boolean) {
  const rewrites = new Map<string, Rewrite>();
  const published = new Set<string>();
  for (const source of program.getSourceFiles().filter((s) => inSdk(s.fileName))) {
    const strip = new Set<string>();
    const names: ts.Identifier[] = [];
    for (const statement of source.statements) {
      const spec = moduleSpecifier(statement);
      if (spec === null || !spec.startsWith('.') || inSdk(resolve(source.fileName, spec))) continue;
      if (standalone(resolve(source.fileName, spec))) published.add(resolve(source.fileName, spec));
      else if (ts.isImportDeclaration(statement)) {
        strip.add(spec);
        const bindings = statement.importClause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((e) => e.name));
      }
    }
    if (strip.size === 0) continue;
    const { text, imports } = flattenDeclarations(program, names, standalone);
    const header = [...imports].map(([file, set]) => {
      published.add(file);
      const spec = path.relative(path.dirname(source.fileName), file).replace(/\.ts$/, '.js');
      return `import type { ${[...set].sort().join(', ')} } from '${spec}';`;
    });
    rewrites.set(source.fileName.replace(/\.ts$/, '.d.ts'), { strip, header: header.join('\n'), body: text });
  }
  return { rewrites, published };
}

/** Relative `.ts` specifiers as `.js`, which every moduleResolution maps to the .d.ts beside it. */
function jsSpecifiers(text: string): string {
  return text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2');
}

function rewrite(text: string, plan: Rewrite): string {
  const lines = text.split('\n').filter((line) => ![...plan.strip].some((spec) => line.includes(`from '${spec}'`)));
  return [plan.header, ...lines, '// Copied from the server types at build time (sdk/build/flatten.ts).', plan.body].join('\n');
}

/** Emits into `outDir` (default dist/); returns the files written. Throws on an error in sdk/. */
export function buildSdk(outDir = path.join(ROOT, 'dist')): string[] {
  const config = readConfig(outDir);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const own = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || inSdk(d.file.fileName));
  if (own.length > 0) throw new Error(`the SDK does not compile:\n${format(own)}`);
  const packages = new Set(Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies ?? {}));
  const { rewrites, published } = planRewrites(program, standaloneFiles(program, packages));
  const written: string[] = [];
  const outSdk = path.join(outDir, 'sdk') + path.sep;
  const writeFile: ts.WriteFileCallback = (file, text, bom) => {
    const source = path.join(ROOT, path.relative(outDir, file));
    const isPublished = file.endsWith('.d.ts') && published.has(source.replace(/\.d\.ts$/, '.ts'));
    if (!file.startsWith(outSdk) && !isPublished) return;
    const plan = rewrites.get(source);
    ts.sys.writeFile(file, jsSpecifiers(plan ? rewrite(text, plan) : text), bom);
    written.push(file);
  };
  const result = program.emit(undefined, writeFile);
  const errors = result.diagnostics.filter((d) => !d.file || inSdk(d.file.fileName));
  if (errors.length > 0) throw new Error(`the SDK could not be emitted:\n${format(errors)}`);
  return written.sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = buildSdk(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`sdk: wrote ${files.length} files to ${path.relative(ROOT, path.dirname(path.dirname(files[0] ?? ''))) || '.'}`);
}
