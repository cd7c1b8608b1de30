// race-across-await, JS/TS: what counts as shared state in an async function, and the StateRef of an
// expression that reads or writes it.
//
// State is reached through a module-level name or through `this`, never through a local or a
// parameter (ESLint's require-atomic-updates reported `req.user = await …`; a parameter's object may
// be shared, but nothing in the file says so):
// - a module-level `let`/`var` (the variable itself, its properties, its entries);
// - a module-level `const` holding an object, array or `new …()` (its properties and entries only:
//   the binding itself cannot be written);
// - `this.<prop>` where `this` is the instance: class methods, accessors and field arrows (arrows see
//   the `this` of the function around them), methods of an object literal (a module-level
//   `const store = { … }` makes `this.count` the same state as `store.count`), and
//   `X.prototype.m = function …`. Never in constructors (the instance is not shared yet) nor in plain
//   functions, whose `this` is whatever they are called on.
// A name counts only when nothing between the use and the module declares it again; "declares" is read
// broadly (any declaration anywhere in the function, or in an enclosing one), so a shadowing local in a
// sibling block hides the module variable for the whole function: a missed race beats a false one.

import ts from 'typescript';
import type { StateRef } from '../../engine/model';
import { skipOuter } from './bindings';

const SK = ts.SyntaxKind;

export type ContainerKind = 'map' | 'set';

export interface ModuleVar {
  name: string;
  /** `let`/`var`: the variable itself is state */
  mutable: boolean;
  container: ContainerKind | undefined;
  /** the declaration's initialiser, when there is one */
  init: ts.Expression | undefined;
  /** the object literal it holds, whose methods' `this` is this variable */
  object: ts.ObjectLiteralExpression | undefined;
}

/** A state access: the model's StateRef plus `entry`, which tells entries of one container apart. */
export interface Ref {
  state: StateRef;
  /** `cache[k]` for an element (index text without spaces), the key otherwise */
  entry: string;
}

/** Whose `this` an async function sees. */
export interface ThisOwner {
  owner: 'instance' | 'module';
  /** the key prefix: `Counter.this`, `Counter` (static side), `store` (a module-level object literal) */
  prefix: string;
  /** the class, for its Map/Set fields */
  cls: ts.ClassLikeDeclaration | undefined;
  isStatic: boolean;
}

function containerOfNew(e: ts.Expression | undefined): ContainerKind | undefined {
  if (!e) return undefined;
  const x = skipOuter(e);
  if (x.kind !== SK.NewExpression) return undefined;
  const callee = skipOuter((x as ts.NewExpression).expression);
  const name = callee.kind === SK.Identifier ? (callee as ts.Identifier).text : undefined;
  return name === 'Map' || name === 'WeakMap' ? 'map' : name === 'Set' || name === 'WeakSet' ? 'set' : undefined;
}

function containerOfType(t: ts.TypeNode | undefined): ContainerKind | undefined {
  if (!t || t.kind !== SK.TypeReference) return undefined;
  const n = (t as ts.TypeReferenceNode).typeName;
  const name = n.kind === SK.Identifier ? n.text : undefined;
  return name === 'Map' || name === 'WeakMap' || name === 'ReadonlyMap' ? 'map' : name === 'Set' || name === 'WeakSet' || name === 'ReadonlySet' ? 'set' : undefined;
}

/** A `const` that holds an object the module owns: literals and constructed objects. */
function holdsObject(init: ts.Expression | undefined): boolean {
  if (!init) return false;
  const k = skipOuter(init).kind;
  return k === SK.ObjectLiteralExpression || k === SK.ArrayLiteralExpression || k === SK.NewExpression;
}

function addPatternNames(name: ts.BindingName, out: string[]): void {
  if (name.kind === SK.Identifier) {
    out.push(name.text);
    return;
  }
  for (const el of name.elements) if (el.kind === SK.BindingElement) addPatternNames(el.name, out);
}

/** The module's top-level variables that are state (see the header). One pass over top-level statements. */
export function moduleVariables(sf: ts.SourceFile): Map<string, ModuleVar> {
  const out = new Map<string, ModuleVar>();
  for (const s of sf.statements) {
    if (s.kind !== SK.VariableStatement) continue;
    const list = (s as ts.VariableStatement).declarationList;
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    const isUsing = (list.flags & ts.NodeFlags.Using) !== 0;
    if (isUsing) continue;
    for (const d of list.declarations) {
      if (d.name.kind !== SK.Identifier) {
        if (isConst) continue;
        const names: string[] = [];
        addPatternNames(d.name, names);
        for (const n of names) out.set(n, { name: n, mutable: true, container: undefined, init: undefined, object: undefined });
        continue;
      }
      if (isConst && !holdsObject(d.initializer)) continue;
      const inner = d.initializer && skipOuter(d.initializer);
      out.set(d.name.text, {
        name: d.name.text,
        mutable: !isConst,
        container: containerOfNew(d.initializer) ?? containerOfType(d.type),
        init: d.initializer,
        object: inner?.kind === SK.ObjectLiteralExpression ? (inner as ts.ObjectLiteralExpression) : undefined,
      });
    }
  }
  return out;
}

function isFunctionLike(n: ts.Node): n is ts.FunctionLikeDeclaration {
  switch (n.kind) {
    case SK.FunctionDeclaration:
    case SK.FunctionExpression:
    case SK.ArrowFunction:
    case SK.MethodDeclaration:
    case SK.Constructor:
    case SK.GetAccessor:
    case SK.SetAccessor:
      return true;
    default:
      return false;
  }
}
export { isFunctionLike };

function hasStatic(n: ts.Node): boolean {
  return ts.canHaveModifiers(n) && (ts.getModifiers(n)?.some((m) => m.kind === SK.StaticKeyword) ?? false);
}

/** `class Foo`, `const Foo = class {…}`, else a name made from its position. */
export function className(cls: ts.ClassLikeDeclaration, parent: ts.Node | undefined, sf: ts.SourceFile): string {
  if (cls.name) return cls.name.text;
  if (parent?.kind === SK.VariableDeclaration && (parent as ts.VariableDeclaration).name.kind === SK.Identifier) {
    return ((parent as ts.VariableDeclaration).name as ts.Identifier).text;
  }
  return `class@${cls.getStart(sf)}`;
}

/**
 * Whose `this` the function at the end of `chain` (its ancestors from the top-level statement down,
 * the function last) sees, or undefined when `this` is not known to be a shared instance.
 */
export function thisOwnerOf(chain: readonly ts.Node[], sf: ts.SourceFile, moduleVars: ReadonlyMap<string, ModuleVar>): ThisOwner | undefined {
  let i = chain.length - 1;
  // arrows see the `this` of what they are written in
  while (i >= 0 && chain[i].kind === SK.ArrowFunction) {
    i--;
    while (i >= 0 && !isFunctionLike(chain[i]) && chain[i].kind !== SK.PropertyDeclaration && chain[i].kind !== SK.ClassStaticBlockDeclaration) {
      if (chain[i].kind === SK.ClassDeclaration || chain[i].kind === SK.ClassExpression || chain[i].kind === SK.SourceFile) return undefined;
      i--;
    }
  }
  if (i < 0) return undefined;
  const fn = chain[i];
  const parent = chain[i - 1];
  switch (fn.kind) {
    case SK.MethodDeclaration:
    case SK.GetAccessor:
    case SK.SetAccessor:
    case SK.PropertyDeclaration:
    case SK.ClassStaticBlockDeclaration: {
      if (parent && (parent.kind === SK.ClassDeclaration || parent.kind === SK.ClassExpression)) {
        const cls = parent as ts.ClassLikeDeclaration;
        const name = className(cls, chain[i - 2], sf);
        const isStatic = fn.kind === SK.ClassStaticBlockDeclaration || hasStatic(fn);
        return { owner: 'instance', prefix: isStatic ? name : `${name}.this`, cls, isStatic };
      }
      if (parent?.kind === SK.ObjectLiteralExpression && fn.kind !== SK.PropertyDeclaration) return objectOwner(parent as ts.ObjectLiteralExpression, sf, moduleVars);
      return undefined;
    }
    case SK.FunctionExpression: {
      // `X.prototype.m = function () {…}` and `{ m: function () {…} }`
      let p = i - 1;
      while (p >= 0 && chain[p].kind === SK.ParenthesizedExpression) p--;
      const holder = chain[p];
      if (holder?.kind === SK.BinaryExpression) {
        const left = skipOuter((holder as ts.BinaryExpression).left);
        if (left.kind === SK.PropertyAccessExpression) {
          const proto = skipOuter((left as ts.PropertyAccessExpression).expression);
          if (proto.kind === SK.PropertyAccessExpression && (proto as ts.PropertyAccessExpression).name.text === 'prototype') {
            const cls = skipOuter((proto as ts.PropertyAccessExpression).expression);
            if (cls.kind === SK.Identifier) return { owner: 'instance', prefix: `${(cls as ts.Identifier).text}.this`, cls: undefined, isStatic: false };
          }
        }
        return undefined;
      }
      if (holder?.kind === SK.PropertyAssignment && chain[p - 1]?.kind === SK.ObjectLiteralExpression) {
        return objectOwner(chain[p - 1] as ts.ObjectLiteralExpression, sf, moduleVars);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function objectOwner(obj: ts.ObjectLiteralExpression, sf: ts.SourceFile, moduleVars: ReadonlyMap<string, ModuleVar>): ThisOwner {
  for (const v of moduleVars.values()) {
    if (v.object === obj) return { owner: 'module', prefix: v.name, cls: undefined, isStatic: false };
  }
  return { owner: 'instance', prefix: `object@${obj.getStart(sf)}.this`, cls: undefined, isStatic: false };
}

/**
 * The Map/Set fields of a class: `cache = new Map()`, `private cache: Map<K, V>`, or
 * `this.cache = new Map()` in the constructor. Memoised per class.
 */
const classContainers = new WeakMap<ts.ClassLikeDeclaration, Map<string, ContainerKind>>();
export function containersOf(cls: ts.ClassLikeDeclaration, isStatic: boolean): Map<string, ContainerKind> {
  let all = classContainers.get(cls);
  if (!all) {
    all = new Map();
    for (const m of cls.members) {
      if (m.kind === SK.PropertyDeclaration) {
        const p = m as ts.PropertyDeclaration;
        const name = p.name.kind === SK.Identifier || p.name.kind === SK.PrivateIdentifier ? p.name.text : undefined;
        const kind = containerOfNew(p.initializer) ?? containerOfType(p.type);
        if (name && kind) all.set(hasStatic(p) ? `static ${name}` : name, kind);
      } else if (m.kind === SK.Constructor && (m as ts.ConstructorDeclaration).body) {
        for (const s of (m as ts.ConstructorDeclaration).body!.statements) {
          if (s.kind !== SK.ExpressionStatement) continue;
          const e = skipOuter((s as ts.ExpressionStatement).expression);
          if (e.kind !== SK.BinaryExpression || (e as ts.BinaryExpression).operatorToken.kind !== SK.EqualsToken) continue;
          const left = skipOuter((e as ts.BinaryExpression).left);
          if (left.kind !== SK.PropertyAccessExpression || skipOuter((left as ts.PropertyAccessExpression).expression).kind !== SK.ThisKeyword) continue;
          const kind = containerOfNew((e as ts.BinaryExpression).right);
          if (kind) all.set((left as ts.PropertyAccessExpression).name.text, kind);
        }
      }
    }
    classContainers.set(cls, all);
  }
  const out = new Map<string, ContainerKind>();
  for (const [k, v] of all) {
    if (isStatic ? k.startsWith('static ') : !k.startsWith('static ')) out.set(isStatic ? k.slice(7) : k, v);
  }
  return out;
}

/** Everything a binding pattern, declaration or parameter list declares, for shadowing. */
export function collectDeclared(name: ts.BindingName, out: Set<string>): void {
  if (name.kind === SK.Identifier) {
    out.add(name.text);
    return;
  }
  for (const el of name.elements) if (el.kind === SK.BindingElement) collectDeclared(el.name, out);
}

/**
 * The names declared in `node` (a function: its parameters and its own name too) anywhere outside
 * nested functions; nested functions contribute only their names. Memoised per node.
 */
const declaredMemo = new WeakMap<ts.Node, Set<string>>();
export function declaredIn(node: ts.Node): Set<string> {
  const memo = declaredMemo.get(node);
  if (memo) return memo;
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    switch (n.kind) {
      case SK.VariableDeclaration:
        collectDeclared((n as ts.VariableDeclaration).name, out);
        break;
      case SK.Parameter:
        collectDeclared((n as ts.ParameterDeclaration).name, out);
        return;
      case SK.FunctionDeclaration:
      case SK.ClassDeclaration:
      case SK.EnumDeclaration:
        if ((n as ts.FunctionDeclaration).name) out.add((n as ts.FunctionDeclaration).name!.text);
        return;
      case SK.FunctionExpression:
      case SK.ArrowFunction:
      case SK.MethodDeclaration:
      case SK.GetAccessor:
      case SK.SetAccessor:
      case SK.Constructor:
      case SK.ClassExpression:
        return;
      case SK.CatchClause: {
        const v = (n as ts.CatchClause).variableDeclaration;
        if (v) collectDeclared(v.name, out);
        break;
      }
      case SK.ImportEqualsDeclaration:
        out.add((n as ts.ImportEqualsDeclaration).name.text);
        return;
    }
    ts.forEachChild(n, visit);
  };
  if (isFunctionLike(node)) {
    const fn = node as ts.FunctionLikeDeclaration;
    if (fn.kind === SK.FunctionExpression && fn.name) out.add(fn.name.text);
    for (const p of fn.parameters) collectDeclared(p.name, out);
    if (fn.body) visit(fn.body);
  } else {
    visit(node);
  }
  declaredMemo.set(node, out);
  return out;
}

/** Index text without white space: `cache[ key ]` and `cache[key]` are the same entry. */
export function squash(text: string): string {
  return text.replace(/\s+/g, '');
}
