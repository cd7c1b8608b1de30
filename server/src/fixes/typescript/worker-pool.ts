// "Move the loop into a worker thread": a CPU-heavy loop statement of an async function is extracted
// into an exported function of a worker module next to the file (`<basename>.worker.mjs` / `.cjs`) and
// the loop becomes `({ total, best } = await runInWorker(url, '<fn>', { n, xs, total, best }))` —
// through piscina when the package depends on it, else through a small `node:worker_threads` pool
// module the fix creates once per package (`<root>/loopguard-worker-pool.mjs` / `.cjs`).
//
// The loop's inputs travel by structured clone and its outputs come back the same way, so the fix is
// only written when a def-use pass over the loop proves that is all it needs: it reads variables (passed
// in), assigns variables (passed back when read elsewhere in the function) and mutates only objects it
// created itself. Anything that would not exist or not behave the same in a worker — `this`,
// `arguments`, `await`/`yield`/`return`, jumps to outer labels, calls of functions of this file or
// imported ones, mutation of outer objects, functions or local class instances as inputs, `var` —
// refuses the extraction (the yielding fix is still offered). Plain JavaScript files only: a
// TypeScript file's worker module would have to be compiled and found next to the compiled output.

import * as path from 'node:path';
import ts from 'typescript';
import type { FileChange, TextEdit } from '../../engine/finding';
import type { LineIndex } from '../../engine/text';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { LoopSite } from '../../frontends/typescript/loops';
import type { ProjectFacts } from '../../frontends/frontend';
import type { SafetyRatedFix } from '../fixer';

const SK = ts.SyntaxKind;

export const HELPER_BASENAME = 'loopguard-worker-pool';

/** Globals a worker has too and that do nothing but compute. */
const PURE_GLOBALS = new Set([
  'Math', 'JSON', 'Number', 'String', 'Boolean', 'BigInt', 'Array', 'Object', 'Map', 'Set', 'Date', 'RegExp',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'Infinity', 'NaN', 'undefined',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Error', 'RangeError', 'TypeError',
]);

/** Methods that only read their receiver: callable on a value the loop did not create. */
const READING_METHODS = new Set([
  'at', 'charAt', 'charCodeAt', 'codePointAt', 'includes', 'indexOf', 'lastIndexOf', 'slice', 'substring',
  'startsWith', 'endsWith', 'get', 'has', 'toString', 'toFixed', 'trim', 'split', 'join', 'concat', 'keys',
  'values', 'entries', 'padStart', 'padEnd', 'toLowerCase', 'toUpperCase', 'localeCompare',
]);

type DeclKind = 'var' | 'let' | 'const' | 'param' | 'function' | 'class' | 'import' | 'catch';

interface Decl {
  kind: DeclKind;
  /** the node whose extent is the binding's scope */
  scope: ts.Node;
  /** the variable declaration, for its initialiser */
  decl: ts.VariableDeclaration | undefined;
}

/**
 * The front end parses without parent pointers (they cost every keystroke); the extraction walks
 * ancestors, so it sets them once per file, when a fix is first asked for.
 */
function ensureParents(sf: ts.SourceFile): void {
  if (sf.statements.length === 0 || sf.statements[0].parent) return;
  const visit = (parent: ts.Node) => (child: ts.Node): void => {
    (child as { parent: ts.Node }).parent = parent;
    ts.forEachChild(child, visit(child));
  };
  ts.forEachChild(sf, visit(sf));
}

function isFunctionLike(n: ts.Node): n is ts.FunctionLikeDeclaration {
  return (
    n.kind === SK.FunctionDeclaration || n.kind === SK.FunctionExpression || n.kind === SK.ArrowFunction ||
    n.kind === SK.MethodDeclaration || n.kind === SK.Constructor || n.kind === SK.GetAccessor || n.kind === SK.SetAccessor
  );
}

function patternHas(name: ts.BindingName, target: string): boolean {
  if (name.kind === SK.Identifier) return name.text === target;
  return name.elements.some((el) => el.kind === SK.BindingElement && patternHas(el.name, target));
}

function findVarDecl(list: ts.VariableDeclarationList, target: string): ts.VariableDeclaration | undefined {
  return list.declarations.find((d) => patternHas(d.name, target));
}

function listKind(list: ts.VariableDeclarationList): DeclKind {
  return (list.flags & ts.NodeFlags.Const) !== 0 ? 'const' : (list.flags & ts.NodeFlags.BlockScoped) !== 0 ? 'let' : 'var';
}

/** A `var` declaration of `target` in `body`, not looking into nested functions. */
function hoistedVar(body: ts.Node, target: string): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n) || n.kind === SK.ClassDeclaration || n.kind === SK.ClassExpression) return;
    if (n.kind === SK.VariableDeclarationList && listKind(n as ts.VariableDeclarationList) === 'var') {
      found = findVarDecl(n as ts.VariableDeclarationList, target);
      if (found) return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** Declarations that a statement list makes in its own block scope. */
function blockDecl(stmts: readonly ts.Statement[], scope: ts.Node, target: string): Decl | undefined {
  for (const s of stmts) {
    if (s.kind === SK.VariableStatement) {
      const list = (s as ts.VariableStatement).declarationList;
      const kind = listKind(list);
      if (kind === 'var') continue;
      const d = findVarDecl(list, target);
      if (d) return { kind, scope, decl: d };
    } else if (s.kind === SK.FunctionDeclaration && (s as ts.FunctionDeclaration).name?.text === target) {
      return { kind: 'function', scope, decl: undefined };
    } else if (s.kind === SK.ClassDeclaration && (s as ts.ClassDeclaration).name?.text === target) {
      return { kind: 'class', scope, decl: undefined };
    } else if (s.kind === SK.ImportDeclaration) {
      const clause = (s as ts.ImportDeclaration).importClause;
      if (!clause) continue;
      const bindings = clause.namedBindings;
      if (
        clause.name?.text === target ||
        (bindings?.kind === SK.NamespaceImport && bindings.name.text === target) ||
        (bindings?.kind === SK.NamedImports && bindings.elements.some((e) => e.name.text === target))
      ) return { kind: 'import', scope, decl: undefined };
    }
  }
  return undefined;
}

/** The declaration `id` refers to, by walking its ancestors; undefined for a global. */
function resolve(id: ts.Identifier): Decl | undefined {
  const target = id.text;
  for (let n: ts.Node = id.parent; n; n = n.parent) {
    switch (n.kind) {
      case SK.Block:
      case SK.ModuleBlock: {
        const d = blockDecl((n as ts.Block).statements, n, target);
        if (d) return d;
        break;
      }
      case SK.CaseBlock:
        for (const clause of (n as ts.CaseBlock).clauses) {
          const d = blockDecl(clause.statements, n, target);
          if (d) return d;
        }
        break;
      case SK.ForStatement:
      case SK.ForOfStatement:
      case SK.ForInStatement: {
        const init = (n as ts.ForStatement).initializer;
        if (init && init.kind === SK.VariableDeclarationList && listKind(init as ts.VariableDeclarationList) !== 'var') {
          const d = findVarDecl(init as ts.VariableDeclarationList, target);
          if (d) return { kind: listKind(init as ts.VariableDeclarationList), scope: n, decl: d };
        }
        break;
      }
      case SK.CatchClause: {
        const v = (n as ts.CatchClause).variableDeclaration;
        if (v && patternHas(v.name, target)) return { kind: 'catch', scope: n, decl: undefined };
        break;
      }
      case SK.SourceFile: {
        const d = blockDecl((n as ts.SourceFile).statements, n, target);
        if (d) return d;
        const v = hoistedVar(n, target);
        if (v) return { kind: 'var', scope: n, decl: v };
        return undefined;
      }
      default:
        if (isFunctionLike(n)) {
          const fn = n as ts.FunctionLikeDeclaration;
          if (fn.parameters.some((p) => patternHas(p.name, target))) return { kind: 'param', scope: n, decl: undefined };
          if (fn.kind === SK.FunctionExpression && fn.name?.text === target) return { kind: 'function', scope: n, decl: undefined };
          if (target === 'arguments' && fn.kind !== SK.ArrowFunction) return { kind: 'param', scope: n, decl: undefined };
          if (fn.body) {
            const v = hoistedVar(fn.body, target);
            if (v) return { kind: 'var', scope: n, decl: v };
          }
        } else if (n.kind === SK.ClassExpression && (n as ts.ClassExpression).name?.text === target) {
          return { kind: 'class', scope: n, decl: undefined };
        }
    }
  }
  return undefined;
}

function within(inner: ts.Node, outer: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end;
}

/** Is this identifier a reference to a binding (not a property name, a label, a declaration's own name)? */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  switch (p.kind) {
    case SK.PropertyAccessExpression:
      return (p as ts.PropertyAccessExpression).name !== id;
    case SK.PropertyAssignment:
      return (p as ts.PropertyAssignment).name !== id;
    case SK.LabeledStatement:
    case SK.BreakStatement:
    case SK.ContinueStatement:
      return false;
    case SK.BindingElement:
      return (p as ts.BindingElement).propertyName !== id && (p as ts.BindingElement).name !== id;
    case SK.VariableDeclaration:
      return (p as ts.VariableDeclaration).name !== id;
    case SK.MethodDeclaration:
    case SK.PropertyDeclaration:
      return false;
    default:
      return true;
  }
}

/** Is `id` assigned (`x = …`, `x += …`, `x++`, a target of a destructuring assignment or for-of/in)? */
function isWrite(id: ts.Identifier): boolean {
  let node: ts.Node = id;
  let p = node.parent;
  while (p.kind === SK.ParenthesizedExpression) {
    node = p;
    p = p.parent;
  }
  if (p.kind === SK.PrefixUnaryExpression || p.kind === SK.PostfixUnaryExpression) {
    const op = (p as ts.PrefixUnaryExpression).operator;
    return op === SK.PlusPlusToken || op === SK.MinusMinusToken;
  }
  if (p.kind === SK.BinaryExpression) {
    const b = p as ts.BinaryExpression;
    return b.left === node && isAssignmentOperator(b.operatorToken.kind);
  }
  if ((p.kind === SK.ForOfStatement || p.kind === SK.ForInStatement) && (p as ts.ForOfStatement).initializer === node) return true;
  // `[a, b] = …`, `({ a, b: c } = …)`
  if (p.kind === SK.ShorthandPropertyAssignment || p.kind === SK.ArrayLiteralExpression || p.kind === SK.SpreadElement || p.kind === SK.PropertyAssignment) {
    return inDestructuringTarget(p);
  }
  return false;
}

function isAssignmentOperator(k: ts.SyntaxKind): boolean {
  return k >= SK.FirstAssignment && k <= SK.LastAssignment;
}

function inDestructuringTarget(n: ts.Node): boolean {
  let node = n;
  for (let p = n.parent; p; node = p, p = p.parent) {
    if (p.kind === SK.BinaryExpression) {
      const b = p as ts.BinaryExpression;
      return b.left === node && b.operatorToken.kind === SK.EqualsToken;
    }
    if ((p.kind === SK.ForOfStatement || p.kind === SK.ForInStatement) && (p as ts.ForOfStatement).initializer === node) return true;
    if (
      p.kind !== SK.ArrayLiteralExpression && p.kind !== SK.ObjectLiteralExpression && p.kind !== SK.PropertyAssignment &&
      p.kind !== SK.ShorthandPropertyAssignment && p.kind !== SK.SpreadElement && p.kind !== SK.SpreadAssignment &&
      p.kind !== SK.ParenthesizedExpression
    ) return false;
  }
  return false;
}

function skipParens(e: ts.Expression): ts.Expression {
  let x = e;
  while (x.kind === SK.ParenthesizedExpression || x.kind === SK.NonNullExpression) x = (x as ts.ParenthesizedExpression).expression;
  return x;
}

/** `a.b[c].d` → `a`; undefined when the chain does not start at a name. */
function rootName(e: ts.Expression): ts.Identifier | undefined {
  let x = skipParens(e);
  while (x.kind === SK.PropertyAccessExpression || x.kind === SK.ElementAccessExpression) {
    x = skipParens((x as ts.PropertyAccessExpression).expression);
  }
  return x.kind === SK.Identifier ? (x as ts.Identifier) : undefined;
}

/** A value the loop makes itself and may therefore mutate: `[]`, `{}`, `new Map()`, `new Float64Array(n)`. */
function isFresh(init: ts.Expression | undefined): boolean {
  if (!init) return false;
  const e = skipParens(init);
  if (e.kind === SK.ArrayLiteralExpression || e.kind === SK.ObjectLiteralExpression) return true;
  if (e.kind === SK.NewExpression) {
    const callee = skipParens((e as ts.NewExpression).expression);
    return callee.kind === SK.Identifier && PURE_GLOBALS.has((callee as ts.Identifier).text) && resolve(callee as ts.Identifier) === undefined;
  }
  return false;
}

/** An outer value that a structured clone would not carry: a function, a class, a local class's instance, a module. */
function notCloneable(d: Decl): boolean {
  if (d.kind === 'function' || d.kind === 'class' || d.kind === 'import') return true;
  const init = d.decl?.initializer && skipParens(d.decl.initializer);
  if (!init) return false;
  if (isFunctionLike(init) || init.kind === SK.ClassExpression) return true;
  if (init.kind === SK.NewExpression) {
    const callee = skipParens((init as ts.NewExpression).expression);
    return !(callee.kind === SK.Identifier && resolve(callee as ts.Identifier) === undefined);
  }
  if (init.kind === SK.CallExpression) {
    const callee = skipParens((init as ts.CallExpression).expression);
    return callee.kind === SK.Identifier && (callee as ts.Identifier).text === 'require';
  }
  return false;
}

interface Analysis {
  /** outer variables the loop uses, in order of first use: passed in */
  inputs: string[];
  /** outer variables the loop assigns that are used after it: passed back */
  outputs: string[];
}

/** The def-use pass; undefined when the loop cannot run in a worker unchanged. */
function analyseLoop(loop: ts.Node, fn: ts.FunctionLikeDeclaration): Analysis | undefined {
  const inputs: string[] = [];
  const written = new Set<string>();
  const outerDecl = new Map<string, Decl>();
  const labels = new Set<string>();
  let ok = true;
  const fail = (): void => {
    ok = false;
  };

  const checkMutation = (target: ts.Expression): void => {
    const root = rootName(target);
    if (!root) return fail();
    const d = resolve(root);
    if (!d || !within(d.scope, loop) || !isFresh(d.decl?.initializer)) fail();
  };

  const visit = (n: ts.Node): void => {
    if (!ok) return;
    switch (n.kind) {
      case SK.ThisKeyword:
      case SK.SuperKeyword:
      case SK.AwaitExpression:
      case SK.YieldExpression:
      case SK.ReturnStatement:
      case SK.MetaProperty:
      case SK.TaggedTemplateExpression:
      case SK.ClassDeclaration:
      case SK.ClassExpression:
      case SK.DeleteExpression:
      case SK.WithStatement:
        return fail();
      case SK.ForOfStatement:
        if ((n as ts.ForOfStatement).awaitModifier) return fail();
        break;
      case SK.VariableDeclarationList:
        // `var` hoists out of the loop into the function, where code after the loop may read it
        if (listKind(n as ts.VariableDeclarationList) === 'var') return fail();
        break;
      case SK.LabeledStatement:
        labels.add((n as ts.LabeledStatement).label.text);
        break;
      case SK.BreakStatement:
      case SK.ContinueStatement: {
        const label = (n as ts.BreakStatement).label;
        if (label && !labels.has(label.text)) return fail();
        break;
      }
      case SK.BinaryExpression: {
        const b = n as ts.BinaryExpression;
        const left = skipParens(b.left);
        if (isAssignmentOperator(b.operatorToken.kind) && (left.kind === SK.PropertyAccessExpression || left.kind === SK.ElementAccessExpression)) {
          checkMutation(left);
        }
        break;
      }
      case SK.PrefixUnaryExpression:
      case SK.PostfixUnaryExpression: {
        const u = n as ts.PrefixUnaryExpression;
        const operand = skipParens(u.operand);
        if ((u.operator === SK.PlusPlusToken || u.operator === SK.MinusMinusToken) &&
          (operand.kind === SK.PropertyAccessExpression || operand.kind === SK.ElementAccessExpression)) {
          checkMutation(operand);
        }
        break;
      }
      case SK.CallExpression:
      case SK.NewExpression: {
        const callee = skipParens((n as ts.CallExpression).expression);
        if (callee.kind === SK.Identifier) {
          // only pure globals: a function of this file or an imported one does not exist in the worker
          const id = callee as ts.Identifier;
          if (resolve(id) !== undefined || !PURE_GLOBALS.has(id.text)) return fail();
        } else if (callee.kind === SK.PropertyAccessExpression) {
          const pa = callee as ts.PropertyAccessExpression;
          const root = rootName(pa.expression);
          if (!root) return fail();
          const d = resolve(root);
          if (d === undefined) {
            if (!PURE_GLOBALS.has(root.text)) return fail();
          } else if (!READING_METHODS.has(pa.name.text)) {
            // a method that may mutate its receiver: only on a value the loop made
            checkMutation(pa.expression);
          }
        } else return fail();
        break;
      }
      default:
        if (isFunctionLike(n)) return fail();
    }
    if (n.kind === SK.Identifier) {
      const id = n as ts.Identifier;
      if (!isReference(id)) return;
      if (id.text === 'arguments') return fail();
      const d = resolve(id);
      if (d === undefined) {
        if (!PURE_GLOBALS.has(id.text)) return fail();
        return;
      }
      if (within(d.scope, loop)) return;
      if (notCloneable(d)) return fail();
      if (!outerDecl.has(id.text)) {
        outerDecl.set(id.text, d);
        inputs.push(id.text);
      } else if (outerDecl.get(id.text)!.scope !== d.scope) return fail(); // one name, two bindings
      if (isWrite(id)) {
        if (d.kind === 'const') return fail();
        written.add(id.text);
      }
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(loop);
  if (!ok) return undefined;

  // an assigned variable goes back when the function uses it outside the loop, or lives outside the function
  const usedOutside = new Set<string>();
  const scan = (n: ts.Node): void => {
    if (n === loop) return;
    if (n.kind === SK.Identifier && written.has((n as ts.Identifier).text) && isReference(n as ts.Identifier)) {
      usedOutside.add((n as ts.Identifier).text);
    }
    ts.forEachChild(n, scan);
  };
  if (fn.body) scan(fn.body);
  const outputs = inputs.filter((name) => written.has(name) && (usedOutside.has(name) || !within(outerDecl.get(name)!.scope, fn)));
  return { inputs, outputs };
}

/** Does the file use `name` as an identifier anywhere (comments and strings do not count)? */
function usesName(sf: ts.SourceFile, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n.kind === SK.Identifier && (n as ts.Identifier).text === name) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset + 1))?.[0] ?? '';
}

/** The loop's text, re-indented to sit `indent` deep. */
function reindent(text: string, from: string, indent: string, eol: string): string {
  return text
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? indent + line : line.startsWith(from) ? indent + line.slice(from.length) : line.trim() === '' ? '' : indent + line.trimStart()))
    .join(eol);
}

function functionName(fn: ts.FunctionLikeDeclaration): string {
  const own = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : undefined;
  if (own) return own;
  const p = fn.parent;
  if (p && p.kind === SK.VariableDeclaration && (p as ts.VariableDeclaration).name.kind === SK.Identifier) {
    return ((p as ts.VariableDeclaration).name as ts.Identifier).text;
  }
  if (p && p.kind === SK.PropertyAssignment && ts.isIdentifier((p as ts.PropertyAssignment).name)) return ((p as ts.PropertyAssignment).name as ts.Identifier).text;
  return 'task';
}

function camel(base: string): string {
  const parts = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const s = parts.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_$]/.test(s) ? s : `m${s}`;
}

/** Where new top-level statements go: after the last import / top-level require, else before the first statement. */
function topInsertion(sf: ts.SourceFile, text: string, eol: string): { offset: number; wrap: (s: string) => string } {
  let after: ts.Node | undefined;
  let first: ts.Node | undefined;
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration || (s.kind === SK.VariableStatement && /\brequire\s*\(/.test(s.getText(sf)))) after = s;
    else if (s.kind === SK.ExpressionStatement && ts.isStringLiteral((s as ts.ExpressionStatement).expression)) after ??= s; // 'use strict'
    else if (!first) first = s;
  }
  if (after) return { offset: after.end, wrap: (s) => `${eol}${s}` };
  const offset = first ? first.getStart(sf) : text.length;
  return { offset, wrap: (s) => `${s}${eol}${eol}` };
}

function relativeSpecifier(fromDir: string, to: string): string {
  const rel = path.relative(fromDir, to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The extraction, or undefined when it cannot be written correctly here. `rank` numbers the
 * extractions of one function so that two loops of it get two export names.
 */
export function moveToWorker(facts: TsFileFacts, lines: LineIndex, site: LoopSite): SafetyRatedFix | undefined {
  const project: ProjectFacts | undefined = facts.project;
  const { sf, text, fileName } = facts;
  const { loop, node } = site;
  if (!project || !path.isAbsolute(fileName)) return undefined;
  ensureParents(sf);
  const ext = path.extname(fileName).toLowerCase();
  if (ext !== '.js' && ext !== '.mjs' && ext !== '.cjs') return undefined;
  if (loop.busyWait || loop.bodyScope !== undefined || loop.yields) return undefined;
  if (facts.scopes[loop.scope]?.kind !== 'async') return undefined;
  const loopKinds = [SK.ForStatement, SK.ForOfStatement, SK.ForInStatement, SK.WhileStatement, SK.DoStatement];
  if (!loopKinds.includes(node.kind) || node.parent?.kind !== SK.Block) return undefined;
  let fn: ts.Node | undefined = node.parent;
  while (fn && !isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async)) return undefined;
  const func = fn as ts.FunctionLikeDeclaration;

  const analysis = analyseLoop(node, func);
  if (!analysis) return undefined;
  const { inputs, outputs } = analysis;

  const esm = ext === '.mjs' || (ext === '.js' && project.moduleType === 'module');
  const modExt = esm ? '.mjs' : '.cjs';
  const dir = path.dirname(fileName);
  const base = path.basename(fileName, path.extname(fileName));
  const workerBase = `${base}.worker${modExt}`;
  const workerFile = path.join(dir, workerBase);
  const eol = lines.eol;

  // two loops of one function: `fooLoop`, `fooLoop2`
  let rank = 0;
  for (const other of facts.loops) {
    if (other === site) break;
    if (other.loop.scope === loop.scope && other.loop.parent === undefined) rank++;
  }
  const exportName = `${camel(functionName(func))}Loop${rank === 0 ? '' : rank + 1}`;
  if (usesName(sf, exportName)) return undefined;

  // the worker function
  const loopStart = node.getStart(sf);
  const loopText = reindent(text.slice(loopStart, node.end), indentAt(text, loopStart), '  ', eol);
  const params = inputs.length ? `{ ${inputs.join(', ')} }` : '';
  const ret = outputs.length ? `${eol}  return { ${outputs.join(', ')} };` : '';
  const fnText = `function ${exportName}(${params}) {${eol}${loopText}${ret}${eol}}${eol}`;
  const workerFileExists = project.fileExists(workerFile);
  const header = `// Functions run in worker threads, moved here by Loopguard from ${path.basename(fileName)}: they run off the event loop.${eol}${eol}`;
  const workerText = esm ? `export ${fnText}` : `${fnText}exports.${exportName} = ${exportName};${eol}`;
  // an existing worker module gets the function at its top: function declarations hoist
  const otherFiles: FileChange[] = [
    workerFileExists
      ? { fileName: workerFile, edits: [{ start: 0, end: 0, newText: `${workerText}${eol}` }] }
      : { fileName: workerFile, create: true, edits: [{ start: 0, end: 0, newText: header + workerText }] },
  ];

  const usePiscina = project.dependencies.includes('piscina');
  const moduleRef = esm ? `new URL('./${workerBase}', import.meta.url).href` : `require('node:path').join(__dirname, '${workerBase}')`;
  const data = `{ ${inputs.join(', ')} }`.replace('{  }', '{}');
  const top: string[] = [];
  let call: string;
  if (usePiscina) {
    const imported = piscinaBinding(sf);
    if (imported === null) return undefined;
    const piscina = imported ?? 'Piscina';
    if (imported === undefined) {
      if (usesName(sf, 'Piscina')) return undefined;
      top.push(esm ? `import Piscina from 'piscina';` : `const Piscina = require('piscina');`);
    }
    const pool = `${camel(base)}Pool`;
    if (!new RegExp(`\\b(?:const|let|var)\\s+${pool}\\s*=\\s*new\\s+${piscina}\\b`).test(text)) {
      if (usesName(sf, pool)) return undefined;
      top.push(`const ${pool} = new ${piscina}({ filename: ${moduleRef} });`);
    }
    call = `await ${pool}.run(${data}, { name: '${exportName}' })`;
  } else {
    const helperFile = path.join(project.root, `${HELPER_BASENAME}${modExt}`);
    const spec = relativeSpecifier(dir, helperFile);
    if (!text.includes(`${HELPER_BASENAME}${modExt}`)) {
      if (usesName(sf, 'runInWorker')) return undefined;
      top.push(esm ? `import { runInWorker } from '${spec}';` : `const { runInWorker } = require('${spec}');`);
    }
    if (!project.fileExists(helperFile)) {
      otherFiles.push({ fileName: helperFile, create: true, edits: [{ start: 0, end: 0, newText: helperSource(esm, eol) }] });
    }
    call = `await runInWorker(${moduleRef}, '${exportName}', ${data})`;
  }

  const edits: TextEdit[] = [];
  if (top.length) {
    const at = topInsertion(sf, text, eol);
    if (at.offset > loopStart) return undefined;
    edits.push({ start: at.offset, end: at.offset, newText: at.wrap(top.join(eol)) });
  }
  let statement = outputs.length ? `({ ${outputs.join(', ')} } = ${call});` : `${call};`;
  // a statement starting with `(` would continue an unterminated previous line
  const siblings = (node.parent as ts.Block).statements;
  const previous = siblings[siblings.indexOf(node as ts.Statement) - 1];
  if (outputs.length && previous && !/[;}]$/.test(text.slice(previous.getStart(sf), previous.end))) statement = `;${statement}`;
  edits.push({ start: loopStart, end: node.end, newText: statement });
  return { title: `Move the loop into a worker thread (\`${exportName}\` in ${workerBase})`, safe: false, edits, otherFiles };
}

/**
 * The file's own name for the Piscina class: `import Piscina from 'piscina'`, `import { Piscina } …`,
 * `const Piscina = require('piscina')`; undefined when it does not load piscina, null when it does in a
 * way this fix does not follow (a namespace, a dynamic import).
 */
function piscinaBinding(sf: ts.SourceFile): string | undefined | null {
  let found: string | undefined | null;
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration) {
      const imp = s as ts.ImportDeclaration;
      if (!ts.isStringLiteral(imp.moduleSpecifier) || imp.moduleSpecifier.text !== 'piscina') continue;
      const clause = imp.importClause;
      const named = clause?.namedBindings?.kind === SK.NamedImports
        ? clause.namedBindings.elements.find((e) => (e.propertyName ?? e.name).text === 'Piscina')?.name.text
        : undefined;
      found = clause?.name?.text ?? named ?? null;
    } else if (s.kind === SK.VariableStatement) {
      for (const d of (s as ts.VariableStatement).declarationList.declarations) {
        const init = d.initializer && skipParens(d.initializer);
        if (!init || init.kind !== SK.CallExpression) continue;
        const call = init as ts.CallExpression;
        const arg = call.arguments[0];
        if (call.expression.kind !== SK.Identifier || (call.expression as ts.Identifier).text !== 'require' || !arg || !ts.isStringLiteral(arg) || arg.text !== 'piscina') continue;
        found = d.name.kind === SK.Identifier ? d.name.text : null;
      }
    }
    if (found) return found;
  }
  if (found === null) return null;
  // anything else that mentions the module (a dynamic import, a require in a function)
  return /['"]piscina['"]/.test(sf.text.replace(/^\s*\/\/.*$/gm, '')) ? null : undefined;
}

/** The `node:worker_threads` pool the fix creates once per package. */
function helperSource(esm: boolean, eol: string): string {
  const lines = [
    '// A small pool of node:worker_threads workers, created by Loopguard: runInWorker(module, exportName, data)',
    '// runs `exportName` of a task module (a file: URL or an absolute path) with structured-cloneable `data` in',
    '// a worker and resolves with its result. Workers start on demand, up to one per CPU, and do not keep the',
    '// process alive while idle.',
    esm ? "import { availableParallelism } from 'node:os';" : "const { availableParallelism } = require('node:os');",
    esm ? "import { Worker } from 'node:worker_threads';" : "const { Worker } = require('node:worker_threads');",
    '',
    'const WORKER_SOURCE = `',
    "const { parentPort } = require('node:worker_threads');",
    "parentPort.on('message', async ({ module, exportName, data }) => {",
    '  try {',
    "    const mod = module.startsWith('file:') ? await import(module) : require(module);",
    '    parentPort.postMessage({ ok: true, result: await mod[exportName](data) });',
    '  } catch (error) {',
    '    parentPort.postMessage({ ok: false, error });',
    '  }',
    '});',
    '`;',
    '',
    'const size = Math.max(1, availableParallelism());',
    'const idle = [];',
    'const queue = [];',
    'let started = 0;',
    '',
    'function start() {',
    '  const worker = new Worker(WORKER_SOURCE, { eval: true });',
    '  started++;',
    '  let task;',
    '  worker.assign = (next) => {',
    '    task = next;',
    '    worker.ref();',
    '    worker.postMessage({ module: next.module, exportName: next.exportName, data: next.data });',
    '  };',
    "  worker.on('message', (message) => {",
    '    const done = task;',
    '    task = undefined;',
    '    release(worker);',
    '    if (message.ok) done.resolve(message.result);',
    '    else done.reject(message.error);',
    '  });',
    "  worker.on('error', (error) => {",
    '    const done = task;',
    '    task = undefined;',
    '    started--;',
    '    if (done) done.reject(error);',
    '    drain();',
    '  });',
    '  return worker;',
    '}',
    '',
    'function release(worker) {',
    '  worker.unref();',
    '  const next = queue.shift();',
    '  if (next) worker.assign(next);',
    '  else idle.push(worker);',
    '}',
    '',
    'function drain() {',
    '  while (queue.length > 0 && started < size) start().assign(queue.shift());',
    '}',
    '',
    `${esm ? 'export ' : ''}function runInWorker(module, exportName, data) {`,
    '  return new Promise((resolve, reject) => {',
    '    const task = { module, exportName, data, resolve, reject };',
    '    const worker = idle.pop();',
    '    if (worker) worker.assign(task);',
    '    else {',
    '      queue.push(task);',
    '      drain();',
    '    }',
    '  });',
    '}',
  ];
  if (!esm) lines.push('', 'module.exports = { runInWorker };');
  return lines.join(eol) + eol;
}
