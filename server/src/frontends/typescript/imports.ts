// What a TypeScript/JavaScript file takes from other modules of the project and what it offers them:
// Call.imported (a callee reached through an import of a non-builtin module) and SourceModel.exports.
//
// Runs after the walk and name resolution (bindings.ts, contexts.ts) on their records: the only tree
// it reads is the module's top-level statements, for exports. Stricter than the catalogue's name
// resolution on purpose: a catalogue name is matched whatever happens to the binding later, but a call
// followed into another file must name what it calls, so a binding that may be reassigned (a `let`/
// `var` that is assigned anywhere in the file) or that is shadowed, a parameter, or anything the
// resolution cannot follow yields nothing. Resolution of the specifier to a file is the project
// model's job (engine/workspace/resolve-js.ts).

import { builtinModules } from 'node:module';
import ts from 'typescript';
import type { FunctionScope, ImportedName, ModuleExport } from '../../engine/model';
import {
  interopOperand, isStringLike, lookup, normaliseModule, resolveExpression, skipOuter, type Binding, type LexScope,
} from './bindings';
import type { WalkResult } from './walker';

const SK = ts.SyntaxKind;
const BUILTINS: ReadonlySet<string> = new Set(builtinModules);
const MAX_DEPTH = 40;

/** `fs`, `node:fs`, `fs/promises`: never another file of the workspace. */
function isBuiltinModule(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  const mods = (node as ts.FunctionDeclaration).modifiers;
  if (!mods) return false;
  for (const m of mods) if (m.kind === kind) return true;
  return false;
}

function nameText(name: ts.Node | undefined): string | undefined {
  if (!name) return undefined;
  switch (name.kind) {
    case SK.Identifier:
    case SK.StringLiteral:
    case SK.NumericLiteral:
    case SK.NoSubstitutionTemplateLiteral:
      return (name as ts.Identifier | ts.StringLiteral).text;
    default:
      return undefined;
  }
}

function isFunctionLike(node: ts.Node): boolean {
  return node.kind === SK.ArrowFunction || node.kind === SK.FunctionExpression;
}

/** Per-file resolution state: memo per binding, the bindings assigned after their declaration. */
export class ImportResolver {
  private readonly memo = new Map<Binding, ImportedName | null>();
  private reassignedSet: Set<Binding> | undefined;

  constructor(private readonly walk: WalkResult) {}

  /** Call.imported for every call of the walk whose callee is reached through an import of a non-builtin module. */
  annotateCalls(): void {
    for (const site of this.walk.sites) {
      const call = site.call;
      // only callees that resolved to a module member can be imported ones; `new X()` builds a class
      if (call.isNew || call.name === undefined) continue;
      const imported = this.resolve(site.node.expression, site.lex, 0);
      if (imported) call.imported = imported;
    }
  }

  /** What an expression names in another module, or undefined. */
  resolve(expr: ts.Expression, lex: LexScope, depth: number): ImportedName | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const e = skipOuter(expr);
    switch (e.kind) {
      case SK.Identifier: {
        const b = lookup(lex, (e as ts.Identifier).text);
        return b && this.ofBinding(b, depth + 1);
      }
      case SK.PropertyAccessExpression: {
        const pa = e as ts.PropertyAccessExpression;
        if (pa.name.kind !== SK.Identifier) return undefined;
        const base = this.resolve(pa.expression, lex, depth + 1);
        return base && { specifier: base.specifier, path: [...base.path, pa.name.text] };
      }
      case SK.ElementAccessExpression: {
        const ea = e as ts.ElementAccessExpression;
        if (!isStringLike(ea.argumentExpression)) return undefined;
        const base = this.resolve(ea.expression, lex, depth + 1);
        return base && { specifier: base.specifier, path: [...base.path, ea.argumentExpression.text] };
      }
      case SK.CallExpression: {
        const call = e as ts.CallExpression;
        const wrapped = interopOperand(call);
        if (wrapped) return this.resolve(wrapped, lex, depth + 1);
        if (call.arguments.length !== 1 || !isStringLike(call.arguments[0])) return undefined;
        if (resolveExpression(call.expression, lex)?.kind !== 'require') return undefined;
        return this.module(call.arguments[0].text);
      }
      case SK.AwaitExpression: {
        const inner = skipOuter((e as ts.AwaitExpression).expression);
        if (inner.kind !== SK.CallExpression) return undefined;
        const call = inner as ts.CallExpression;
        if (call.expression.kind !== SK.ImportKeyword || call.arguments.length < 1 || !isStringLike(call.arguments[0])) return undefined;
        return this.module(call.arguments[0].text);
      }
      case SK.BinaryExpression: {
        const bin = e as ts.BinaryExpression;
        return bin.operatorToken.kind === SK.CommaToken ? this.resolve(bin.right, lex, depth + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** What a binding names in another module: imports always (they cannot be assigned), aliases unless reassigned. */
  ofBinding(b: Binding, depth: number): ImportedName | undefined {
    const memo = this.memo.get(b);
    if (memo !== undefined) return memo ?? undefined;
    let result: ImportedName | undefined;
    if (b.kind === 'import' && b.module !== undefined) {
      const path = b.importKind === 'default' ? ['default'] : b.importKind === 'named' ? [...(b.path ?? [])] : [];
      result = this.module(b.module, path);
    } else if (b.kind === 'alias' && b.init && b.initScope && depth <= MAX_DEPTH && (b.constant || !this.reassigned().has(b))) {
      // cycles (`var a = b, b = a`) end at the depth bound: the memo is set only afterwards
      const base = this.resolve(b.init, b.initScope, depth + 1);
      if (base) result = { specifier: base.specifier, path: [...base.path, ...(b.initPath ?? [])] };
    }
    this.memo.set(b, result ?? null);
    return result;
  }

  /** True when a `let`/`var` binding is assigned somewhere after its declaration. */
  isReassigned(b: Binding): boolean {
    return this.reassigned().has(b);
  }

  private module(specifier: string, path: string[] = []): ImportedName | undefined {
    return isBuiltinModule(specifier) ? undefined : { specifier: normaliseModule(specifier), path };
  }

  private reassigned(): Set<Binding> {
    if (this.reassignedSet) return this.reassignedSet;
    const set = new Set<Binding>();
    const note = (target: ts.Expression, lex: LexScope): void => {
      const t = skipOuter(target);
      switch (t.kind) {
        case SK.Identifier: {
          const b = lookup(lex, (t as ts.Identifier).text);
          if (b) set.add(b);
          break;
        }
        // destructuring assignments: `[a, b] = …`, `({ a, b: c } = …)`
        case SK.ArrayLiteralExpression:
          for (const el of (t as ts.ArrayLiteralExpression).elements) note(el.kind === SK.SpreadElement ? (el as ts.SpreadElement).expression : el, lex);
          break;
        case SK.ObjectLiteralExpression:
          for (const p of (t as ts.ObjectLiteralExpression).properties) {
            if (p.kind === SK.ShorthandPropertyAssignment) note(p.name, lex);
            else if (p.kind === SK.PropertyAssignment) note(p.initializer, lex);
            else if (p.kind === SK.SpreadAssignment) note(p.expression, lex);
          }
          break;
        case SK.BinaryExpression: {
          // a default in a destructuring target: `[a = 1] = …`
          const bin = t as ts.BinaryExpression;
          if (bin.operatorToken.kind === SK.EqualsToken) note(bin.left, lex);
          break;
        }
      }
    };
    for (const w of this.walk.writes) note(w.target, w.lex);
    this.reassignedSet = set;
    return set;
  }
}

/** SourceModel.exports: what other modules can import from this file (see ModuleExport in engine/model.ts). */
export function collectExports(sf: ts.SourceFile, walk: WalkResult, resolver: ImportResolver): ModuleExport[] {
  return new ExportCollector(sf, walk, resolver).collect();
}

type ExportTarget = Omit<ModuleExport, 'name'>;

class ExportCollector {
  private readonly out: ModuleExport[] = [];
  private readonly index = new Map<string, number>();
  private scopesByStart: Map<number, FunctionScope[]> | undefined;
  private readonly lex: LexScope;

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly walk: WalkResult,
    private readonly resolver: ImportResolver,
  ) {
    this.lex = walk.moduleScope;
  }

  collect(): ModuleExport[] {
    // CommonJS names only mean the module's exports when the file does not bind them itself
    const cjs = this.sf.text.includes('exports') && !lookup(this.lex, 'module') && !lookup(this.lex, 'exports');
    for (const st of this.sf.statements) {
      switch (st.kind) {
        case SK.ExportDeclaration:
          this.exportDeclaration(st as ts.ExportDeclaration);
          break;
        case SK.ExportAssignment: {
          const ea = st as ts.ExportAssignment;
          // `export = { f }` is CommonJS's `module.exports = { f }`
          if (ea.isExportEquals) this.moduleExports(ea.expression);
          else this.add('default', this.ofExpression(ea.expression));
          break;
        }
        case SK.ExpressionStatement:
          if (cjs) this.commonJs((st as ts.ExpressionStatement).expression);
          break;
        default:
          if (hasModifier(st, SK.ExportKeyword) && !hasModifier(st, SK.DeclareKeyword)) this.exportedDeclaration(st);
      }
    }
    return this.out;
  }

  private add(name: string, target: ExportTarget): void {
    const e: ModuleExport = { name, ...target };
    const at = name === '*' ? undefined : this.index.get(name);
    if (at !== undefined) {
      // CommonJS may assign a name twice; the last assignment is what importers see
      this.out[at] = e;
      return;
    }
    if (name !== '*') this.index.set(name, this.out.length);
    this.out.push(e);
  }

  private exportedDeclaration(st: ts.Statement): void {
    const isDefault = hasModifier(st, SK.DefaultKeyword);
    switch (st.kind) {
      case SK.FunctionDeclaration: {
        const fd = st as ts.FunctionDeclaration;
        if (!fd.body) return; // an overload signature; the implementation is exported too
        const name = isDefault ? 'default' : fd.name?.text;
        const scope = this.walk.fnScopeIds.get(fd);
        if (name !== undefined) this.add(name, scope === undefined ? {} : { scope });
        return;
      }
      case SK.ClassDeclaration: {
        const name = isDefault ? 'default' : (st as ts.ClassDeclaration).name?.text;
        if (name !== undefined) this.add(name, {});
        return;
      }
      case SK.VariableStatement:
        for (const d of (st as ts.VariableStatement).declarationList.declarations) {
          if (d.name.kind === SK.Identifier) {
            const b = lookup(this.lex, d.name.text);
            this.add(d.name.text, b && b.kind !== 'local' ? this.ofBinding(b) : {});
          } else {
            for (const n of bindingNames(d.name)) this.add(n, {});
          }
        }
        return;
      case SK.EnumDeclaration:
        if (!hasModifier(st, SK.ConstKeyword)) this.add((st as ts.EnumDeclaration).name.text, {});
        return;
      case SK.ModuleDeclaration: {
        const name = (st as ts.ModuleDeclaration).name;
        if (name.kind === SK.Identifier) this.add(name.text, {});
        return;
      }
      case SK.ImportEqualsDeclaration: {
        // `export import x = require('./x')`
        const ie = st as ts.ImportEqualsDeclaration;
        if (ie.isTypeOnly) return;
        const b = lookup(this.lex, ie.name.text);
        this.add(ie.name.text, b ? this.ofBinding(b) : {});
        return;
      }
    }
  }

  private exportDeclaration(ed: ts.ExportDeclaration): void {
    if (ed.isTypeOnly) return;
    const spec = ed.moduleSpecifier;
    const clause = ed.exportClause;
    if (spec) {
      if (!isStringLike(spec)) return;
      const specifier = spec.text;
      if (!clause) {
        this.add('*', { from: { specifier, path: [] } });
      } else if (clause.kind === SK.NamespaceExport) {
        const name = nameText(clause.name);
        if (name !== undefined) this.add(name, { from: { specifier, path: [] } });
      } else {
        for (const el of clause.elements) {
          if (el.isTypeOnly) continue;
          const exported = nameText(el.name);
          const imported = nameText(el.propertyName ?? el.name);
          if (exported !== undefined && imported !== undefined) this.add(exported, { from: { specifier, path: [imported] } });
        }
      }
      return;
    }
    if (!clause || clause.kind !== SK.NamedExports) return;
    for (const el of clause.elements) {
      if (el.isTypeOnly) continue;
      const exported = nameText(el.name);
      const local = nameText(el.propertyName ?? el.name);
      if (exported === undefined || local === undefined) continue;
      const b = lookup(this.lex, local);
      this.add(exported, b ? this.ofBinding(b) : {});
    }
  }

  /** `module.exports = …`, `module.exports.f = …`, `exports.f = …` (and chains `exports.a = exports.b = …`). */
  private commonJs(expr: ts.Expression): void {
    let e = skipOuter(expr);
    const targets: Array<string | null> = [];
    while (e.kind === SK.BinaryExpression && (e as ts.BinaryExpression).operatorToken.kind === SK.EqualsToken) {
      const bin = e as ts.BinaryExpression;
      const t = exportsTarget(bin.left);
      if (t === undefined) {
        if (targets.length === 0) return;
        break;
      }
      targets.push(t);
      e = skipOuter(bin.right);
    }
    if (targets.length === 0) return;
    for (const t of targets) {
      if (t === null) this.moduleExports(e);
      else this.add(t, this.ofExpression(e));
    }
  }

  /** `module.exports = value`: an object literal lists names; anything else is the default (and the module itself). */
  private moduleExports(value: ts.Expression): void {
    const v = skipOuter(value);
    if (v.kind === SK.ObjectLiteralExpression) {
      for (const p of (v as ts.ObjectLiteralExpression).properties) {
        switch (p.kind) {
          case SK.ShorthandPropertyAssignment: {
            const b = lookup(this.lex, p.name.text);
            this.add(p.name.text, b ? this.ofBinding(b) : {});
            break;
          }
          case SK.PropertyAssignment: {
            const name = nameText(p.name);
            if (name !== undefined) this.add(name, this.ofExpression(p.initializer));
            break;
          }
          case SK.MethodDeclaration: {
            const name = nameText(p.name);
            const scope = this.scopeOf(p);
            if (name !== undefined) this.add(name, scope === undefined ? {} : { scope });
            break;
          }
          case SK.SpreadAssignment: {
            // `{ ...require('./x') }`
            const from = this.resolver.resolve(p.expression, this.lex, 0);
            if (from && from.path.length === 0) this.add('*', { from });
            break;
          }
        }
      }
      return;
    }
    const target = this.ofExpression(v);
    // `module.exports = require('./x')`: every name of ./x
    if (target.from && target.from.path.length === 0) this.add('*', target);
    else this.add('default', target);
  }

  private ofExpression(expr: ts.Expression): ExportTarget {
    const e = skipOuter(expr);
    if (isFunctionLike(e)) {
      const scope = this.scopeOf(e);
      return scope === undefined ? {} : { scope };
    }
    if (e.kind === SK.Identifier) {
      const b = lookup(this.lex, (e as ts.Identifier).text);
      return b ? this.ofBinding(b) : {};
    }
    const from = this.resolver.resolve(e, this.lex, 0);
    return from ? { from } : {};
  }

  private ofBinding(b: Binding): ExportTarget {
    if (b.kind === 'function' && b.fn) {
      // `let f = () => …` may be reassigned before an importer calls it
      if (b.fn.kind !== SK.FunctionDeclaration && !b.constant && this.resolver.isReassigned(b)) return {};
      const scope = this.walk.fnScopeIds.get(b.fn) ?? this.scopeOf(b.fn);
      return scope === undefined ? {} : { scope };
    }
    if (b.kind === 'import' || b.kind === 'alias') {
      const from = this.resolver.ofBinding(b, 0);
      return from ? { from } : {};
    }
    return {};
  }

  /** The model scope of a function node the walk did not index (function expressions, object methods). */
  private scopeOf(node: ts.Node): number | undefined {
    if (!this.scopesByStart) {
      this.scopesByStart = new Map();
      for (const s of this.walk.scopes) {
        const list = this.scopesByStart.get(s.span.start);
        if (list) list.push(s);
        else this.scopesByStart.set(s.span.start, [s]);
      }
    }
    const start = node.getStart(this.sf);
    for (const s of this.scopesByStart.get(start) ?? []) if (s.span.end === node.end && s.id !== 0) return s.id;
    return undefined;
  }
}

/** `module.exports` → null, `module.exports.f` / `exports.f` / `exports['f']` → 'f', anything else → undefined. */
function exportsTarget(left: ts.Expression): string | null | undefined {
  const e = skipOuter(left);
  let obj: ts.Expression;
  let name: string | undefined;
  if (e.kind === SK.PropertyAccessExpression) {
    const pa = e as ts.PropertyAccessExpression;
    obj = skipOuter(pa.expression);
    name = pa.name.kind === SK.Identifier ? pa.name.text : undefined;
  } else if (e.kind === SK.ElementAccessExpression) {
    const ea = e as ts.ElementAccessExpression;
    obj = skipOuter(ea.expression);
    name = isStringLike(ea.argumentExpression) ? ea.argumentExpression.text : undefined;
  } else {
    return undefined;
  }
  if (name === undefined) return undefined;
  if (obj.kind === SK.Identifier) {
    const root = (obj as ts.Identifier).text;
    if (root === 'module') return name === 'exports' ? null : undefined;
    return root === 'exports' ? name : undefined;
  }
  // `module.exports.f`
  return exportsTarget(obj) === null ? name : undefined;
}

function bindingNames(name: ts.BindingName, out: string[] = []): string[] {
  if (name.kind === SK.Identifier) out.push(name.text);
  else for (const el of name.elements) if (el.kind === SK.BindingElement) bindingNames(el.name, out);
  return out;
}
