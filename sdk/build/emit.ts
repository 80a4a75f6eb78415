/**
 * Builds the SDK into `dist/` with tsc's API: sdk/ as ESM JavaScript with .d.ts files, plus the .d.ts
 * of the server files its types come from (type-only imports, so no JavaScript of theirs is needed).
 * The CLI cannot do this: it emits every file the type imports reach (the whole server) and fails
 * on declaration errors in files that are never published. Run by `npm run build:sdk` (prepare).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n',
  });
}

/** Emits into `outDir` (default dist/); returns the files written. Throws on an error in sdk/. */
export function buildSdk(outDir = path.join(ROOT, 'dist')): string[] {
  const config = readConfig(outDir);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const own = ts.getPreEmitDiagnostics(program).filter((d) => !d.file || inSdk(d.file.fileName));
  if (own.length > 0) throw new Error(`the SDK does not compile:\n${format(own)}`);
  const written: string[] = [];
  const outSdk = path.join(outDir, 'sdk') + path.sep;
  const writeFile: ts.WriteFileCallback = (file, text, bom) => {
    if (!file.startsWith(outSdk) && !file.endsWith('.d.ts')) return;
    ts.sys.writeFile(file, text, bom);
    written.push(file);
  };
  const result = program.emit(undefined, writeFile);
  const errors = result.diagnostics.filter((d) => !d.file || inSdk(d.file.fileName));
  if (errors.length > 0) throw new Error(`the SDK could not be emitted:\n${format(errors)}`);
  return written.sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = buildSdk(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`sdk: wrote ${files.length} files to ${path.relative(ROOT, path.dirname(path.dirname(files[0] ?? '')))}`);
}
