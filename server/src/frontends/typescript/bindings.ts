// Lexical scopes, bindings and name resolution for the TypeScript/JavaScript front end.
//
// The walker declares every binding into the lexical scope it belongs to (var and function
// declarations into the function, let/const/class into the block) while it walks; nothing is
// resolved during the walk. Resolution happens afterwards, when every scope is complete, so hoisting
// and declarations that come after their use (a closure that reads a later `const fs = …`) need no
// second walk. What a binding denotes is resolved lazily and memoised: `import fs from 'node:fs'`
// denotes the module `fs`, `const { readFileSync: rf } = require('fs')` the member
// `fs.readFileSync`, `const rf = fs.readFileSync` the same through an alias, and a parameter or a
// local object nothing at all, which is what keeps a shadowing local from being mistaken for a module.

import ts from 'typescript';

const SK = ts.SyntaxKind;

/** What an expression denotes, when the front end can name it. */
export interface Target {
  /**
   * - `module`: a module object or a member of it (`root` is the normalised specifier: `fs`, `fs/promises`)
   * - `global`: a global or a member of one (`root` is the global's name: `Atomics`, `setTimeout`)
   * - `global-object`: `globalThis` / `global` / `window` / `self`, whose members are globals
   * - `require`: the CommonJS `require` function (free, or made by `module.createRequire`)
   */
  kind: 'module' | 'global' | 'global-object' | 'require';
  root: string;
  /** member path below the root: [] for the module itself, ['promises', 'readFile'] */
  path: readonly string[];
}

export type BindingKind = 'import' | 'alias' | 'function' | 'param' | 'local';

export interface Binding {
  kind: BindingKind;
  name: string;
  /** the lexical scope the binding lives in */
  scope: LexScope;
  /** `import`: the normalised module specifier and the member path ([] = namespace/default) */
  module?: string;
  path?: readonly string[];
  /**
   * `import`: how it was imported. A default import and a namespace import both denote the module
   * object for catalogue names (interop: `import fs from 'fs'`), but name different exports of a
   * workspace module (Call.imported: `['default']` vs `[]`).
   */
  importKind?: 'default' | 'namespace' | 'named';
  /** `alias`: the initialiser to resolve lazily, in the scope it is evaluated in, and the destructuring path */
  init?: ts.Expression;
  initScope?: LexScope;
  initPath?: readonly string[];
  /** `alias`: where the declared name ends; a function-local alias does not exist before it (TDZ) */
  at?: number;
  /** declared with `const`: its initialiser is its value for good (constant folding of loop bounds) */
  constant?: boolean;
  /** `function` bindings and aliases initialised with a function expression: the function node */
  fn?: ts.Node;
  /** memo of resolveBinding: null = resolves to nothing */
  target?: Target | null;
  resolving?: boolean;
}

export interface LexScope {
  parent: LexScope | undefined;
  /** created on the first declaration: most blocks declare nothing */
  names: Map<string, Binding> | undefined;
  /** a function (or module / namespace) scope: where `var` and parameters go */
  isFunction: boolean;
}

export function newScope(parent: LexScope | undefined, isFunction: boolean): LexScope {
  return { parent, names: undefined, isFunction };
}

export function declare(scope: LexScope, binding: Binding): void {
  (scope.names ??= new Map()).set(binding.name, binding);
}

export function lookup(scope: LexScope | undefined, name: string): Binding | undefined {
  for (let s = scope; s; s = s.parent) {
    const b = s.names?.get(name);
    if (b) return b;
  }
  return undefined;
}

/** `node:fs` → `fs`; other specifiers are kept as written. */
export function normaliseModule(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/**
 * Free identifiers that name a JavaScript or Node.js global. Only these resolve when unbound: a free
 * `fs` is not the module (a script may declare it in another file), but a free `setTimeout` is the timer.
 * `crypto` is left out on purpose: the global is WebCrypto, not the `crypto` module.
 */
const KNOWN_GLOBALS = new Set([
  'Atomics', 'process', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask',
  'clearTimeout', 'clearInterval', 'clearImmediate', 'structuredClone', 'fetch', 'console', 'JSON',
  'Math', 'Promise', 'Array', 'Object', 'Reflect', 'Date', 'performance', 'URL', 'Worker',
  'SharedArrayBuffer', 'WebAssembly', 'Intl', 'TextEncoder', 'TextDecoder',
]);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

/** Helpers compilers wrap around `require` (TypeScript, Babel, tslib): they return the module. */
const INTEROP_HELPERS = new Set([
  '__importDefault', '__importStar', '_interopRequireDefault', '_interopRequireWildcard', '__toESM', '__toCommonJS',
]);

const MAX_DEPTH = 40;

/**
 * The module expression a compiled interop wrapper returns (`__importDefault(require('x'))` → the
 * `require('x')` call), or undefined when `call` is not such a wrapper.
 */
export function interopOperand(call: ts.CallExpression): ts.Expression | undefined {
  const callee = skipOuter(call.expression);
  const calleeName =
    callee.kind === SK.Identifier ? (callee as ts.Identifier).text
    : callee.kind === SK.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text
    : undefined;
  return calleeName !== undefined && INTEROP_HELPERS.has(calleeName) && call.arguments.length >= 1 ? call.arguments[0] : undefined;
}

/** Skips parentheses and type-only wrappers that do not change the value. */
export function skipOuter(node: ts.Expression): ts.Expression {
  for (;;) {
    switch (node.kind) {
      case SK.ParenthesizedExpression:
      case SK.AsExpression:
      case SK.SatisfiesExpression:
      case SK.NonNullExpression:
      case SK.TypeAssertionExpression:
        node = (node as ts.ParenthesizedExpression).expression;
        break;
      default:
        return node;
    }
  }
}

export function isStringLike(node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral {
  return node.kind === SK.StringLiteral || node.kind === SK.NoSubstitutionTemplateLiteral;
}

/** The member a binding denotes, following aliases. Memoised on the binding. */
export function resolveBinding(b: Binding, depth = 0): Target | undefined {
  if (b.target !== undefined) return b.target ?? undefined;
  let t: Target | undefined;
  if (b.kind === 'import') {
    t = { kind: 'module', root: b.module ?? '', path: b.path ?? [] };
  } else if (b.kind === 'alias' && b.init && b.initScope && !b.resolving && depth < MAX_DEPTH) {
    b.resolving = true;
    t = resolveExpression(b.init, b.initScope, depth + 1);
    b.resolving = false;
    for (const name of b.initPath ?? []) t = t && member(t, name);
  }
  b.target = t ?? null;
  return t;
}

/** `t.name`: the member of a module or global; `default` of a module is the module (interop). */
export function member(t: Target, name: string): Target | undefined {
  switch (t.kind) {
    case 'global-object':
      if (GLOBAL_OBJECTS.has(name)) return t;
      return KNOWN_GLOBALS.has(name) ? { kind: 'global', root: name, path: [] } : undefined;
    case 'require':
      return undefined;
    case 'module':
      if (name === 'default' && t.path.length === 0) return t;
      return { kind: 'module', root: t.root, path: [...t.path, name] };
    case 'global':
      return { kind: 'global', root: t.root, path: [...t.path, name] };
  }
}

function requireTarget(call: ts.CallExpression, scope: LexScope, depth: number): Target | undefined {
  if (call.arguments.length !== 1) return undefined;
  const arg = call.arguments[0];
  if (!isStringLike(arg)) return undefined;
  const callee = resolveExpression(call.expression, scope, depth + 1);
  return callee?.kind === 'require' ? { kind: 'module', root: normaliseModule(arg.text), path: [] } : undefined;
}

/** What an expression denotes, or undefined. Never throws; bounded depth. */
export function resolveExpression(expr: ts.Expression, scope: LexScope, depth = 0): Target | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const e = skipOuter(expr);
  switch (e.kind) {
    case SK.Identifier: {
      const name = (e as ts.Identifier).text;
      const b = lookup(scope, name);
      if (b) return resolveBinding(b, depth + 1);
      if (name === 'require') return { kind: 'require', root: 'require', path: [] };
      if (GLOBAL_OBJECTS.has(name)) return { kind: 'global-object', root: name, path: [] };
      return KNOWN_GLOBALS.has(name) ? { kind: 'global', root: name, path: [] } : undefined;
    }
    case SK.PropertyAccessExpression: {
      const pa = e as ts.PropertyAccessExpression;
      if (pa.name.kind !== SK.Identifier) return undefined;
      const t = resolveExpression(pa.expression, scope, depth + 1);
      return t && member(t, pa.name.text);
    }
    case SK.ElementAccessExpression: {
      const ea = e as ts.ElementAccessExpression;
      if (!isStringLike(ea.argumentExpression)) return undefined;
      const t = resolveExpression(ea.expression, scope, depth + 1);
      return t && member(t, ea.argumentExpression.text);
    }
    case SK.CallExpression: {
      const call = e as ts.CallExpression;
      const wrapped = interopOperand(call);
      if (wrapped) return resolveExpression(wrapped, scope, depth + 1);
      const callee = skipOuter(call.expression);
      const calleeName =
        callee.kind === SK.Identifier ? (callee as ts.Identifier).text
        : callee.kind === SK.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).name.text
        : undefined;
      const req = requireTarget(call, scope, depth);
      if (req) return req;
      if (calleeName === 'createRequire') {
        const t = resolveExpression(call.expression, scope, depth + 1);
        if (t?.kind === 'module' && t.root === 'module' && t.path.length === 1 && t.path[0] === 'createRequire') {
          return { kind: 'require', root: 'require', path: [] };
        }
      }
      return undefined;
    }
    case SK.AwaitExpression: {
      // `await import('node:fs')` is the module namespace
      const inner = skipOuter((e as ts.AwaitExpression).expression);
      if (inner.kind === SK.CallExpression) {
        const call = inner as ts.CallExpression;
        if (call.expression.kind === SK.ImportKeyword && call.arguments.length >= 1 && isStringLike(call.arguments[0])) {
          return { kind: 'module', root: normaliseModule(call.arguments[0].text), path: [] };
        }
      }
      return undefined;
    }
    case SK.BinaryExpression: {
      // `(0, fs_1.readFileSync)(…)`: how compilers call an imported function without a `this`
      const bin = e as ts.BinaryExpression;
      return bin.operatorToken.kind === SK.CommaToken ? resolveExpression(bin.right, scope, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

/** The qualified name of a callee's target (see Call.name in engine/model.ts). */
export function qualifiedName(t: Target | undefined): string | undefined {
  if (!t) return undefined;
  switch (t.kind) {
    case 'module':
      // calling the module object itself (`require('debug')(…)`, a default import) is its default export
      return t.path.length === 0 ? `${t.root}.default` : `${t.root}.${t.path.join('.')}`;
    case 'global':
      return t.path.length === 0 ? t.root : `${t.root}.${t.path.join('.')}`;
    case 'require':
      return 'require';
    case 'global-object':
      return undefined;
  }
}

/** True when a target is exactly `root.path…` of a module. */
export function isModuleMember(t: Target | undefined, root: string, ...path: string[]): boolean {
  if (!t || t.kind !== 'module' || t.root !== root || t.path.length !== path.length) return false;
  for (let i = 0; i < path.length; i++) if (t.path[i] !== path[i]) return false;
  return true;
}

export function isGlobal(t: Target | undefined, root: string, ...path: string[]): boolean {
  if (!t || t.kind !== 'global' || t.root !== root || t.path.length !== path.length) return false;
  for (let i = 0; i < path.length; i++) if (t.path[i] !== path[i]) return false;
  return true;
}
