/**
 * The published declarations must not drag the server into a consumer's type check: generation's
 * and retrieval's type files import the store, the models and the ANN indexes. The types sdk/ takes
 * from such a file are copied, with every local type they name, into sdk/types.d.ts; the files
 * whose imports are only other such files or runtime dependencies (core/types, server/schemas) are
 * published as they are and imported.
 */
import path from 'node:path';
import ts from 'typescript';

/** Whether a file's declarations stand alone: relative imports only of standalone files, bare ones only of `packages`. */
export function standaloneFiles(program: ts.Program, packages: Set<string>): (file: string) => boolean {
  const memo = new Map<string, boolean>();
  const check = (file: string): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, true);
    const source = program.getSourceFile(file);
    const ok =
      source?.statements.every((s) => {
        const spec = moduleSpecifier(s);
        if (spec === null) return true;
        if (!spec.startsWith('.')) return packages.has(spec);
        return check(path.resolve(path.dirname(file), spec));
      }) ?? false;
    memo.set(file, ok);
    return ok;
  };
  return check;
}

export function moduleSpecifier(statement: ts.Statement): string | null {
  if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return null;
  const spec = statement.moduleSpecifier;
  return spec && ts.isStringLiteral(spec) ? spec.text : null;
}

type Declaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration;

function declarationOf(checker: ts.TypeChecker, node: ts.Node): Declaration | null {
  let symbol = checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.declarations?.[0];
  return declaration && (ts.isInterfaceDeclaration(declaration) || ts.isTypeAliasDeclaration(declaration)) ? declaration : null;
}

function withoutExport(text: string): string {
  return text.replace(/^(\s*(?:\/\*\*[\s\S]*?\*\/\s*)?)export\s+/, '$1');
}

/**
 * The declarations named by `names` (identifiers in an sdk/ file that import from non-standalone
 * files), with every type they reference from non-standalone project files; references to
 * standalone files come back as imports to add.
 */
export function flattenDeclarations(
  program: ts.Program,
  names: ts.Identifier[],
  standalone: (file: string) => boolean,
): { text: string; imports: Map<string, Set<string>> } {
  const checker = program.getTypeChecker();
  const seen = new Set<Declaration>();
  const queue: Declaration[] = [];
  const imports = new Map<string, Set<string>>();
  const take = (node: ts.Node) => {
    const declaration = declarationOf(checker, node);
    if (!declaration || seen.has(declaration)) return;
    const file = declaration.getSourceFile().fileName;
    if (file.includes(`${path.sep}node_modules${path.sep}`) || program.isSourceFileDefaultLibrary(declaration.getSourceFile()))
      return;
    if (standalone(file)) {
      const set = imports.get(file) ?? new Set<string>();
      imports.set(file, set.add(declaration.name.text));
      return;
    }
    seen.add(declaration);
    queue.push(declaration);
  };
  for (const name of names) take(name);
  const texts: string[] = [];
  while (queue.length > 0) {
    const declaration = queue.shift() as Declaration;
    texts.push(withoutExport(declaration.getFullText().replace(/^\s*\n/, '')));
    const visit = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node)) take(ts.isIdentifier(node.typeName) ? node.typeName : node.typeName.right);
      if (ts.isExpressionWithTypeArguments(node)) take(node.expression);
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(declaration, visit);
  }
  return { text: texts.join('\n'), imports };
}
