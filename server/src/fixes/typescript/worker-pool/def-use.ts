// The def-use pass of the worker-pool extraction: which outer variables a loop statement reads (its
// inputs) and assigns (its outputs), and whether it can run in a worker unchanged at all — no `this`,
// `arguments`, `await`/`yield`/`return`, jumps to outer labels, calls of functions of this file or
// imported ones, mutation of outer objects, functions or local class instances as inputs, or `var`.
// Works on the syntax tree alone (no type checker): a name is resolved by walking its ancestors.
// In TypeScript, type positions are not values: the pass hands them to the caller instead.

import ts from 'typescript';

const SK = ts.SyntaxKind;

/** Globals a worker has too and that do nothing but compute. */
export const PURE_GLOBALS: ReadonlySet<string> = new Set([
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

export interface Decl {
  kind: DeclKind;
  /** the node whose extent is the binding's scope */
  scope: ts.Node;
  /** the variable declaration, for its initialiser */
  decl: ts.VariableDeclaration | undefined;
  /** a parameter's declaration (for its type annotation); undefined for `arguments` */
  param?: ts.ParameterDeclaration;
}

const parented = new WeakSet<ts.SourceFile>();

/**
 * The front end parses without parent pointers (they cost every keystroke); the extraction walks
 * ancestors, so it sets them once per file, when a fix is first asked for. (The parser sets some
 * parents itself — a declaration's, with JSDoc — so no node's parent says whether this already ran.)
 */
export function ensureParents(sf: ts.SourceFile): void {
  if (parented.has(sf)) return;
  parented.add(sf);
  const visit = (parent: ts.Node) => (child: ts.Node): void => {
    (child as { parent: ts.Node }).parent = parent;
    ts.forEachChild(child, visit(child));
  };
  ts.forEachChild(sf, visit(sf));
}

export function isFunctionLike(n: ts.Node): n is ts.FunctionLikeDeclaration {
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
export function resolve(id: ts.Identifier): Decl | undefined {
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
          const param = fn.parameters.find((p) => patternHas(p.name, target));
          if (param) return { kind: 'param', scope: n, decl: undefined, param };
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

export function within(inner: ts.Node, outer: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end;
}

/** Is this identifier a reference to a binding (not a property name, a label, a declaration's own name)? */
export function isReference(id: ts.Identifier): boolean {
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

export function skipParens(e: ts.Expression): ts.Expression {
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

export interface Analysis {
  /** outer variables the loop uses, in order of first use: passed in */
  inputs: string[];
  /** the declaration each input refers to */
  inputDecls: ReadonlyMap<string, Decl>;
  /** outer variables the loop assigns that are used after it: passed back */
  outputs: string[];
  /** type annotations, assertions and type arguments in the loop (TypeScript): the worker module needs their names */
  typeNodes: ts.TypeNode[];
}

/** The def-use pass; undefined when the loop cannot run in a worker unchanged. */
export function analyseLoop(loop: ts.Node, fn: ts.FunctionLikeDeclaration): Analysis | undefined {
  const inputs: string[] = [];
  const written = new Set<string>();
  const outerDecl = new Map<string, Decl>();
  const labels = new Set<string>();
  const typeNodes: ts.TypeNode[] = [];
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
    // `x as T`, `const y: T = …`, `new Map<K, V>()`: names of types, not values; erased at run time
    if (ts.isTypeNode(n)) {
      typeNodes.push(n);
      return;
    }
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
  return { inputs, inputDecls: outerDecl, outputs, typeNodes };
}

/** Does the file use `name` as an identifier anywhere (comments and strings do not count)? */
const namesUsed = new WeakMap<ts.SourceFile, Set<string>>();
export function usesName(sf: ts.SourceFile, name: string): boolean {
  let names = namesUsed.get(sf);
  if (!names) {
    const found = new Set<string>();
    const visit = (n: ts.Node): void => {
      if (n.kind === SK.Identifier) found.add((n as ts.Identifier).text);
      else ts.forEachChild(n, visit);
    };
    visit(sf);
    namesUsed.set(sf, (names = found));
  }
  return names.has(name);
}
