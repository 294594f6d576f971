// Exported symbols of src/, commands/ and bench/ that no other module imports (tests count as
// importers; src/index.ts and commands/ are entry points). Prints them and exits 1 if any are left
// beyond KEEP. Usage: node scripts/dead-exports.mjs
import path from 'node:path';
import ts from 'typescript';

// Exported on purpose though nothing imports them by name.
const KEEP = new Set([
  'bench/bench-app.ts:app', // runner processes load the module by path and look for an exported App
  'bench/bench-app.ts:add',
  'src/backends/postgres/db.ts:Stmt', // other modules export statements typed by it
  'src/config/schema.ts:ConfigInput', // schema-derived types and helpers for the options facade
  'src/config/schema.ts:snakeToCamel',
  'src/core/invocation.ts:DEFAULT_RESULT_TIMEOUT_MS', // being moved to src/app/ on another branch
  'src/core/invocation.ts:noResult',
]);

const root = process.cwd();
const config = ts.getParsedCommandLineOfConfigFile(
  path.join(root, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
);
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const used = new Set();
const original = (s) => (s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const useAllOf = (moduleNode) => {
  const m = checker.getSymbolAtLocation(moduleNode);
  for (const e of m ? checker.getExportsOfModule(m) : []) {
    used.add(original(e));
  }
};
const useName = (node) => used.add(original(checker.getSymbolAtLocation(node)));

function visit(n) {
  if (ts.isImportDeclaration(n) && n.importClause) {
    const { name, namedBindings } = n.importClause;
    if (name) {
      useName(name);
    }
    if (namedBindings && ts.isNamespaceImport(namedBindings)) {
      useAllOf(n.moduleSpecifier);
    } else if (namedBindings) {
      namedBindings.elements.forEach((el) => useName(el.name));
    }
  } else if (ts.isExportDeclaration(n) && n.moduleSpecifier) {
    if (n.exportClause && ts.isNamedExports(n.exportClause)) {
      n.exportClause.elements.forEach((el) => useName(el.name));
    } else {
      useAllOf(n.moduleSpecifier);
    }
  } else if (
    ts.isCallExpression(n) &&
    n.expression.kind === ts.SyntaxKind.ImportKeyword &&
    n.arguments[0] &&
    ts.isStringLiteralLike(n.arguments[0])
  ) {
    useAllOf(n.arguments[0]);
  } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
    if (n.qualifier) {
      useName(n.qualifier);
    } else {
      useAllOf(n.argument.literal);
    }
  }
  ts.forEachChild(n, visit);
}

const ours = program.getSourceFiles().filter((sf) => !sf.fileName.includes('/node_modules/'));
for (const sf of ours) {
  visit(sf);
  const rel = path.relative(root, sf.fileName);
  if (rel === 'src/index.ts' || rel.startsWith('commands/')) {
    useAllOf(sf);
  }
}

const dead = [];
for (const sf of ours) {
  const rel = path.relative(root, sf.fileName);
  const m = /^(src|commands|bench)\//.test(rel) && checker.getSymbolAtLocation(sf);
  for (const e of m ? checker.getExportsOfModule(m) : []) {
    const decl = original(e).declarations?.[0];
    if (!used.has(original(e)) && !KEEP.has(`${rel}:${e.getName()}`)) {
      const line = decl ? sf.getLineAndCharacterOfPosition(decl.getStart()).line + 1 : 0;
      dead.push(`${rel}:${line} ${e.getName()}`);
    }
  }
}
console.log(dead.length ? dead.join('\n') : 'no dead exports');
process.exitCode = dead.length ? 1 : 0;
