// TypeScript/JavaScript's half of "make the chain async" (fixes/chain-async.ts): `function f` →
// `async function f`, `const f = (…) =>` → `const f = async (…) =>`, `m()` → `async m()`, a return
// annotation `T` → `Promise<T>`; `f(…)` → `await f(…)` (`(await f(…)).x` where the walker says the
// value needs parentheses); and which names and files are out of bounds.
//
// Refused conversions: generators (an async generator cannot be awaited), constructors, getters and
// setters, overloaded functions (their signatures would all need `Promise<…>`), decorated methods (a
// decorator wraps what the method returns), functions not at a module's top level or in a top-level
// class (their callers are another function's locals), a default export (`export default f`,
// `module.exports = f`: importers name it as they like, so its uses as a value cannot be found by name),
// a declared return type that is already a promise or a type predicate. Refused call sites: `await`
// is illegal there (parameter defaults, class fields — the walker's SITE_AWAIT_ILLEGAL), it is a
// `new f()`, or the promise-returning value is chained with `.then`/`.catch`/`.finally`.
//
// A package's public interface is the file its package.json names as `main`, `module`, `types` or an
// `exports` target (or `index.*` / `src/index.*` when it names none), for a package that is not
// `"private": true`: code outside the workspace may call what it defines or re-exports.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { TextEdit } from '../../engine/finding';
import type { Call, FunctionScope, SourceModel, Span } from '../../engine/model';
import { skipOuter } from '../../frontends/typescript/bindings';
import { scriptKindFor } from '../../frontends/typescript/parse';
import { TriviaIndex } from '../../frontends/typescript/trivia';
import { SITE_AWAITED, SITE_AWAIT_ILLEGAL, SITE_NEEDS_PARENS, Walker, type CallSite } from '../../frontends/typescript/walker';
import type { ChainLanguage } from '../chain-async';

const SK = ts.SyntaxKind;

interface Parsed {
  sf: ts.SourceFile;
  sites?: readonly CallSite[];
}

/** As the front end parses (parse.ts), with parent pointers: the conversion looks at declarations around a function. */
function parseSource(fileName: string, text: string, kind: ts.ScriptKind): ts.SourceFile {
  return ts.createSourceFile(fileName, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, true, kind);
}

// the model's own tree and sites live in its fixer; a fix is built rarely enough to parse again
const parsedModels = new WeakMap<SourceModel, Parsed>();

function parsedOf(model: SourceModel): Parsed {
  let p = parsedModels.get(model);
  if (!p) {
    p = { sf: parseSource(model.fileName, model.text, scriptKindFor(model.fileName, model.languageId)) };
    parsedModels.set(model, p);
  }
  return p;
}

function sitesOf(model: SourceModel): readonly CallSite[] {
  const p = parsedOf(model);
  return (p.sites ??= new Walker(p.sf, model.text).walk().sites);
}

function findFunction(sf: ts.SourceFile, span: Span): ts.FunctionLikeDeclaration | undefined {
  let found: ts.FunctionLikeDeclaration | undefined;
  const visit = (node: ts.Node): void => {
    if (found || node.end < span.start || node.pos > span.end) return;
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body && node.getStart(sf) === span.start && node.end === span.end) {
      found = node as ts.FunctionLikeDeclaration;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function hasDecorators(node: ts.Node): boolean {
  return ts.canHaveDecorators(node) && (ts.getDecorators(node)?.length ?? 0) > 0;
}

function memberName(node: ts.Node): string | undefined {
  const n = (node as ts.NamedDeclaration).name;
  return n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) ? n.text : undefined;
}

/** Another declaration of the same name beside it: overload signatures, or a redeclaration. */
function overloaded(node: ts.FunctionLikeDeclaration, name: string): boolean {
  const siblings: readonly ts.Node[] =
    ts.isClassLike(node.parent) ? node.parent.members
    : ts.isSourceFile(node.parent) || ts.isModuleBlock(node.parent) ? node.parent.statements
    : [];
  return siblings.some((s) => s !== node && (ts.isFunctionDeclaration(s) || ts.isMethodDeclaration(s) || ts.isMethodSignature(s)) && memberName(s) === name);
}

function makeAsync(model: SourceModel, scope: FunctionScope): TextEdit[] | undefined {
  if (scope.parent !== 0) return undefined;
  if (model.exports?.some((e) => e.name === 'default' && e.scope === scope.id)) return undefined;
  const { sf } = parsedOf(model);
  const node = findFunction(sf, scope.span);
  if (!node || node.asteriskToken || hasDecorators(node)) return undefined;
  let at: number;
  let name: string | undefined;
  if (ts.isFunctionDeclaration(node)) {
    const keyword = node.getChildren(sf).find((c) => c.kind === SK.FunctionKeyword);
    if (!keyword || !node.name) return undefined;
    at = keyword.getStart(sf);
    name = node.name.text;
  } else if (ts.isMethodDeclaration(node)) {
    // a method of a class written at the module's top level (object literal methods are not resolved)
    if (!ts.isClassLike(node.parent)) return undefined;
    name = memberName(node);
    if (name === undefined) return undefined;
    at = node.name.getStart(sf);
  } else if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    // `const f = (…) => …` / `const f = function (…) {…}`: the variable is the function's only name
    const decl = node.parent;
    if (!ts.isVariableDeclaration(decl) || decl.initializer !== node || !ts.isIdentifier(decl.name)) return undefined;
    if (ts.isFunctionExpression(node) && node.name && node.name.text !== decl.name.text) return undefined;
    if (!(decl.parent.flags & ts.NodeFlags.Const)) return undefined; // `let f = …` may be reassigned
    name = decl.name.text;
    at = ts.isArrowFunction(node) ? node.getStart(sf) : (node.getChildren(sf).find((c) => c.kind === SK.FunctionKeyword)?.getStart(sf) ?? -1);
    if (at < 0) return undefined;
  } else {
    return undefined; // constructors, getters, setters
  }
  if (overloaded(node, name)) return undefined;
  const edits: TextEdit[] = [{ start: at, end: at, newText: 'async ' }];
  const type = node.type;
  if (type) {
    if (ts.isTypePredicateNode(type)) return undefined;
    if (ts.isTypeReferenceNode(type) && /^(?:Promise|PromiseLike)$/.test(type.typeName.getText(sf))) return undefined;
    edits.push({ start: type.getStart(sf), end: type.getStart(sf), newText: 'Promise<' }, { start: type.end, end: type.end, newText: '>' });
  }
  return edits;
}

/**
 * `await` before the call, parenthesised where the walker marks the call's value as needing it (the
 * object of a member access, a callee, a tag, the left of `**`) — the same flags the file fixer's
 * await-twin fix writes with. Undefined where `await` is illegal, the call is already awaited, is a
 * `new`, or its value is a promise chained with `.then`/`.catch`/`.finally`.
 */
function awaitCall(model: SourceModel, call: Call): TextEdit[] | undefined {
  const site = sitesOf(model).find((s) => s.call.calleeSpan.start === call.calleeSpan.start && s.call.span.end === call.span.end);
  if (!site || site.node.kind !== SK.CallExpression) return undefined;
  if ((site.flags & (SITE_AWAITED | SITE_AWAIT_ILLEGAL)) !== 0) return undefined;
  let outer: ts.Node = site.node;
  while (outer.parent && (ts.isParenthesizedExpression(outer.parent) || ts.isAsExpression(outer.parent) || ts.isSatisfiesExpression(outer.parent) || ts.isNonNullExpression(outer.parent) || ts.isTypeAssertionExpression(outer.parent))) {
    outer = outer.parent;
  }
  const parent = outer.parent;
  if (parent && ts.isPropertyAccessExpression(parent) && parent.expression === outer && /^(?:then|catch|finally)$/.test(parent.name.text)) return undefined;
  const { sf } = parsedOf(model);
  const start = site.node.getStart(sf);
  const end = site.node.end;
  if ((site.flags & SITE_NEEDS_PARENS) !== 0) {
    return [
      { start, end: start, newText: '(await ' },
      { start: end, end, newText: ')' },
    ];
  }
  return [{ start, end: start, newText: 'await ' }];
}

// the driver asks for a file's imports and then its comments: one parse for both
let lastParsed: { text: string; fileName: string; sf: ts.SourceFile; imports?: Span[]; comments?: Span[] } | undefined;

function sourceFileOf(text: string, fileName: string | undefined): ts.SourceFile {
  const name = fileName ?? 'file.ts';
  if (lastParsed?.text === text && lastParsed.fileName === name) return lastParsed.sf;
  const sf = parseSource(name, text, scriptKindFor(name, undefined));
  lastParsed = { text, fileName: name, sf };
  return sf;
}

/**
 * Where a converted function's name is accounted for without being called: an import or `require` of
 * it under its own name, an export of it under its own name (`export { f }`, `export { f } from`,
 * `module.exports = { f }`, `exports.f = f`), the `const f` a converted arrow is assigned to. A renamed
 * import or export (`{ f as g }`, `{ g: f }`) is not: uses of the new name could not be found.
 */
function importSpans(text: string, fileName?: string): Span[] {
  const sf = sourceFileOf(text, fileName);
  return (lastParsed!.imports ??= importSpansOf(sf));
}
function importSpansOf(sf: ts.SourceFile): Span[] {
  const out: Span[] = [];
  const span = (n: ts.Node) => out.push({ start: n.getStart(sf), end: n.end });
  const sameName = (a: ts.Node | undefined, b: ts.Node | undefined) => !a || !b || (ts.isIdentifier(a) && ts.isIdentifier(b) && a.text === b.text);
  const isRequire = (e: ts.Expression | undefined) =>
    !!e && ts.isCallExpression(skipOuter(e)) && ts.isIdentifier((skipOuter(e) as ts.CallExpression).expression) &&
    ((skipOuter(e) as ts.CallExpression).expression as ts.Identifier).text === 'require';
  const isExportsTarget = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && e.text === 'exports') ||
    (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'module' && e.name.text === 'exports');
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.name) span(clause.name);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const s of bindings.elements) if (sameName(s.propertyName, s.name)) span(s);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      if (clause && ts.isNamedExports(clause)) for (const s of clause.elements) if (sameName(s.propertyName, s.name)) span(s);
      return;
    }
    if (ts.isVariableDeclaration(node)) {
      if (ts.isIdentifier(node.name) && node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) span(node.name);
      // const { f } = require('./x')
      if (ts.isObjectBindingPattern(node.name) && isRequire(node.initializer)) {
        for (const e of node.name.elements) if (!e.dotDotDotToken && sameName(e.propertyName, e.name)) span(e);
      }
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === SK.EqualsToken) {
      const left = skipOuter(node.left);
      const right = skipOuter(node.right);
      // exports.f = f / module.exports.f = f
      if (ts.isPropertyAccessExpression(left) && isExportsTarget(left.expression) && ts.isIdentifier(right) && right.text === left.name.text) span(node);
      // module.exports = { f, g: g }
      if (isExportsTarget(left) && ts.isObjectLiteralExpression(right)) {
        for (const p of right.properties) {
          if (ts.isShorthandPropertyAssignment(p) && !p.objectAssignmentInitializer) span(p);
          else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && ts.isIdentifier(p.initializer) && p.name.text === p.initializer.text) span(p);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Comments: each `//` or `/*` the syntax tree places in trivia (not in a string, template or regex). */
function commentSpans(text: string, fileName?: string): Span[] {
  const sf = sourceFileOf(text, fileName);
  return (lastParsed!.comments ??= commentSpansOf(sf, text));
}
function commentSpansOf(sf: ts.SourceFile, text: string): Span[] {
  const trivia = new TriviaIndex(sf, text);
  const out: Span[] = [];
  const re = /\/[/*]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const c = trivia.commentAt(m.index);
    if (!c) continue;
    out.push(c.span);
    re.lastIndex = Math.max(re.lastIndex, c.span.end);
  }
  return out;
}

function withoutExtension(file: string): string {
  return file.replace(/\.(?:d\.)?[cm]?[jt]sx?$/, '');
}

function exportTargets(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) exportTargets(v, out);
}

/** See the header: the entry points of a package that is not private (package.json read from disk). */
function isPublicInterface(fileName: string): boolean {
  let dir = path.dirname(fileName);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      let pkg: Record<string, unknown>;
      try {
        pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>;
      } catch {
        return true; // a package we cannot read: assume the worst
      }
      if (pkg.private === true) return false;
      const targets: string[] = [];
      for (const field of ['main', 'module', 'types', 'typings']) exportTargets(pkg[field], targets);
      exportTargets(pkg.exports, targets);
      if (targets.length === 0) targets.push('index', 'src/index');
      const self = withoutExtension(path.resolve(fileName));
      return targets.some((t) => withoutExtension(path.resolve(dir, t)) === self || withoutExtension(path.resolve(dir, t, 'index')) === self);
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

/** A conversion that cannot be computed is a refused fix, never a failed analysis. */
function guarded<A extends unknown[], R>(f: (...args: A) => R, failed: R): (...args: A) => R {
  return (...args) => {
    try {
      return f(...args);
    } catch {
      return failed;
    }
  };
}

export const typescriptChainLanguage: ChainLanguage = {
  makeAsync: guarded(makeAsync, undefined),
  awaitCall: guarded(awaitCall, undefined),
  // a file whose names cannot be accounted for refuses the fix through the mentions left over
  importSpans: guarded(importSpans, []),
  commentSpans: guarded(commentSpans, []),
  isPublicInterface: guarded(isPublicInterface, true),
};
