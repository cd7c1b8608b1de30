// Builds the language-neutral model of one Python file from what collect.ts read off the tree.
//
// Scopes nest, calls get the scope that evaluates them, bindings land in their scopes (`global`
// respected), callees are resolved to qualified names (resolve.ts), arguments and parameter lists are
// read from the text, and functions handed to threads and processes become `offloaded`. This runs on
// every keystroke: no closures or object spreads per node.

import type { Node } from 'web-tree-sitter';
import type { EcosystemCatalogue } from '../../engine/catalogue';
import type { Argument, Call, FunctionScope, ImportedName, Loop, ModuleExport } from '../../engine/model';
import { markConsumedCalls, pyConsumedArgument } from '../iterated';
import { buildLoops } from './loops';
import { FUNCTION_WRAPPERS, OFFLOADERS, offloaderByMethod, RUN_METHOD_BASES, type Offloader } from './offload';
import { collect, Held, WITH, type Comprehension, type RawBinding } from './collect';
import { Resolver, type Binding, type CallRec, type ImportOrigin } from './resolve';
import {
  closingBracket,
  dottedSegments,
  endsStatement,
  headerColon,
  identEnd,
  keywordAt,
  skipInline,
  skipSpaceBack,
  skipTrivia,
  splitItems,
} from './scan';
import { newScope, ScopeTable, type PyScope } from './scopes';
import { instanceMethodAt, isMapCall, LocalClasses, markConcurrent, type HandOver, type Receiver } from './shared-state-concurrency';

export interface BuiltModel {
  scopes: FunctionScope[];
  calls: Call[];
  loops: Loop[];
  resolver: Resolver;
  table: ScopeTable;
  /** every module imported anywhere in the file, by its first segment (`asyncio`, `trio`) */
  importedRoots: Set<string>;
  /** local names bound by imports, per imported qualified name (absolute imports only) */
  importNames: Map<string, Set<string>>;
  /** SourceModel.exports, in source order */
  exports: ModuleExport[];
}

export function buildModel(text: string, root: Node, catalogue: EcosystemCatalogue): BuiltModel {
  const found = collect(text, root);
  const { awaitStarts, imports, binds, attrBinds, globals, comprehensions, comprehensionVars } = found;
  const scopeList: PyScope[] = [newScope('module', false, 0, text.length, 0), ...found.scopes];
  const calls = placeCalls(text, found.calls, found.unplaced);

  // scopes
  scopeList.sort((a, b) => a.start - b.start || b.end - a.end);
  const table = new ScopeTable(scopeList);
  const lambdas = new Map<number, PyScope>();
  const defNames = new Set<string>();
  for (const s of scopeList) {
    if (s.kind === 'lambda') lambdas.set(s.start, s);
    nameScope(text, s);
    if (s.kind === 'def' && s.name !== undefined) defNames.add(s.name);
  }

  // calls: document order, the outermost first among calls that start together (`f(a)(b)`)
  calls.sort((a, b) => a.start - b.start || b.end - a.end);
  for (const c of calls) c.scope = table.evaluatingAt(c.start).id;
  const notBindings = shadowByComprehensions(text, calls, comprehensions, comprehensionVars);
  const resolver = new Resolver(text, table, catalogue.types, (q) => catalogue.lookup(q) !== undefined || catalogue.types.has(q), calls);
  awaitStarts.forEach((start, i) => {
    // the call must be the whole operand: not `await f(x).attr`, not `await (f() or g())`
    const call = resolver.callAt(start);
    if (!call) return;
    const next = text.charCodeAt(found.awaitParens[i] ? skipTrivia(text, call.end) : skipInline(text, call.end));
    if (found.awaitParens[i] ? next === 41 /* ) */ : next !== 46 && next !== 91 && next !== 40 /* . [ ( */) call.awaited = true;
  });

  // bindings
  for (const g of globals) {
    const s = table.at(g);
    if (s.kind !== 'module') (s.globals ??= new Set()).add(text.slice(g, identEnd(text, g)));
  }
  const bind = (scope: PyScope, name: string, b: Binding): void => {
    const target = scope.globals !== undefined && scope.globals.has(name) ? table.get(0) : scope;
    const list = target.names.get(name);
    if (list) list.push(b);
    else target.names.set(name, [b]);
  };
  const materialize = (raw: RawBinding, scope: PyScope): Binding => {
    switch (raw.held) {
      case Held.None:
        return { k: 'none' };
      case Held.Value: {
        // the value of a call only when the call is all there is (`x = f()`, not `x = f() or g`);
        // `with f() as x` and assignments both end with the call
        const call = resolver.callAt(raw.a);
        const whole = raw.objectStart === WITH ? keywordAt(text, skipTrivia(text, call?.end ?? 0), 'as') : call !== undefined && endsStatement(text, call.end);
        return call && whole ? { k: 'value', call } : { k: 'other' };
      }
      case Held.Alias:
        return { k: 'alias', start: raw.a, end: raw.b, scope: scope.id };
      case Held.Annotation: {
        const value = raw.value >= 0 ? resolver.callAt(raw.value) : undefined;
        return { k: 'annotation', start: raw.a, end: raw.b, scope: scope.id, value: value && endsStatement(text, value.end) ? value : undefined };
      }
      default:
        return { k: 'other' };
    }
  };

  // what the module exports: its defs, classes and imports, the last binding of each name winning
  const exported = new Map<string, { at: number; e: ModuleExport }>();
  const exportAt = (name: string, at: number, e: ModuleExport): void => {
    const prev = exported.get(name);
    if (!prev || prev.at < at) exported.set(name, { at, e });
  };
  const stars: Array<{ at: number; e: ModuleExport }> = [];
  for (const s of scopeList) {
    if ((s.kind === 'def' || s.kind === 'class') && s.name !== undefined && s.parent !== undefined) {
      bind(table.get(s.parent), s.name, s.kind === 'def' ? { k: 'def', scope: s.id } : { k: 'other' });
      if (s.parent === 0) {
        // a memoized def's name is the cache, not the function (as for Call.target)
        const fn = s.kind === 'def' && !hasDecorator(text, s.start, MEMOIZING_DECORATOR);
        exportAt(s.name, s.start, fn ? { name: s.name, scope: s.id } : { name: s.name });
      }
    }
    if (s.kind === 'def' || s.kind === 'lambda') bindParams(text, table, s, bind);
  }

  const importedRoots = new Set<string>();
  const importNames = new Map<string, Set<string>>();
  for (const star of found.starImports) {
    const scope = table.at(star.at);
    if (scope.kind !== 'module') continue;
    stars.push({ at: star.at, e: { name: '*', from: { specifier: star.module, path: [] } } });
    // a module of this project brings in nothing the catalogue knows
    if (star.module.charCodeAt(0) !== 46 /* . */) (scope.starImports ??= []).push(star.module);
  }
  for (const imp of imports) {
    const scope = table.at(imp.at);
    bind(scope, imp.local, { k: 'import', target: imp.target, origin: imp.origin });
    if (scope.id === 0) exportAt(imp.local, imp.at, { name: imp.local, from: { specifier: imp.origin.specifier, path: [...imp.origin.path] } });
    if (imp.target.charCodeAt(0) === 46 /* . relative */) continue;
    importedRoots.add(imp.target.split('.')[0]);
    let names = importNames.get(imp.target);
    if (!names) importNames.set(imp.target, (names = new Set()));
    names.add(imp.local);
  }

  for (const raw of best(binds)) {
    if (notBindings.has(raw.nameStart)) continue;
    const scope = table.at(raw.nameStart);
    const name = text.slice(raw.nameStart, identEnd(text, raw.nameStart));
    bind(scope, name, materialize(raw, scope));
    // rebound after its def or import (`f = wrap(f)`, `json = None` in an `except ImportError`): a name we cannot follow
    if ((scope.id === 0 || scope.globals?.has(name) === true) && exported.has(name)) exportAt(name, raw.nameStart, { name });
  }
  const exports: ModuleExport[] = [];
  if (exported.size > 0 || stars.length > 0) {
    const all = [...exported.values(), ...stars].sort((a, b) => a.at - b.at);
    for (const x of all) exports.push(x.e);
  }
  for (const raw of best(attrBinds)) {
    const fn = table.at(raw.objectStart);
    if (fn.kind !== 'def' || fn.selfName === undefined || fn.parent === undefined) continue;
    if (text.slice(raw.objectStart, identEnd(text, raw.objectStart)) !== fn.selfName) continue;
    const cls = table.get(fn.parent);
    const attr = text.slice(raw.nameStart, identEnd(text, raw.nameStart));
    const binding = materialize(raw, fn);
    const attrs = (cls.attrs ??= new Map<string, Binding[]>());
    const list = attrs.get(attr);
    if (list) list.push(binding);
    else attrs.set(attr, [binding]);
  }

  // names, arguments, offloading
  const ctx: Ctx = { text, resolver, table, lambdas, defNames, classes: new LocalClasses(text, table) };
  const modelCalls: Call[] = new Array<Call>(calls.length);
  const catalogued = new Map<string, boolean>();
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    resolver.callName(c);
    modelCalls[i] = {
      span: { start: c.start, end: c.end },
      calleeSpan: { start: c.start, end: c.calleeEnd },
      name: c.name,
      written: writtenCallee(text, c),
      scope: c.scope,
      awaited: c.awaited,
      isNew: false,
      args: callArguments(ctx, c),
    };
    if (c.origin !== undefined && c.name !== undefined) {
      // the same few imported names are called over and over in a file
      let known = catalogued.get(c.name);
      if (known === undefined) catalogued.set(c.name, (known = isCatalogued(catalogue, c.name)));
      if (!known) modelCalls[i].imported = importedName(c.origin, c.name);
    }
  }
  linkTargets(text, table, calls, modelCalls);
  markIterated(text, modelCalls, comprehensions, found.unpacks);
  markConsumedCalls(modelCalls, pyConsumedArgument);
  const handOvers = markOffloaded(ctx, calls, modelCalls);
  markRunMethods(ctx, calls);
  markConcurrent(text, table, handOvers, found.loops, comprehensions);

  const loops =
    found.loops.length === 0 && found.comprehensions.length === 0
      ? []
      : buildLoops({
          text,
          table,
          calls,
          callAt: (start) => resolver.callAt(start),
          rawLoops: found.loops,
          comprehensions,
          awaits: awaitStarts.slice().sort((a, b) => a - b),
          yields: found.yields,
        });

  const scopes: FunctionScope[] = scopeList.map((s) => ({
    id: s.id,
    kind: scopeKind(s),
    name: qualifiedScopeName(table, s),
    reason: s.offloadReason,
    span: { start: s.start, end: s.end },
    parent: s.parent,
    headSpan: { start: s.headStart, end: s.headEnd },
    ...(s.offload ? { offload: s.offload } : {}),
  }));
  for (const s of scopeList) if (s.selfCalls !== undefined) scopes[s.id].selfCalls = s.selfCalls;
  // a `yield` makes the def (or lambda) whose own code it is in a generator
  for (const y of found.yields) {
    const s = table.evaluatingAt(y);
    if (s.kind === 'def' || s.kind === 'lambda') scopes[s.id].generator = true;
  }

  return { scopes, calls: modelCalls, loops, resolver, table, importedRoots, importNames, exports };
}

/** The identifier that ends right before `i` (whitespace skipped), with its start. */
function wordBefore(text: string, i: number): { word: string; start: number } | undefined {
  const end = skipSpaceBack(text, i);
  let start = end;
  while (start > 0 && isIdentChar(text.charCodeAt(start - 1))) start--;
  return start < end ? { word: text.slice(start, end), start } : undefined;
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Call.iterated from the text before each call: `yield from g()`, `*g()` (unpacked into a call, a list, a
 * tuple or a set), `a, b = g()` (collect.ts finds the assignments to patterns), `… in g()` — a `for` statement, a list/set/dict comprehension's clause, a membership
 * test — but not a generator expression's clause (the generator iterates later, if ever). The
 * builtins that iterate their argument: markConsumedCalls.
 */
function markIterated(text: string, calls: Call[], comprehensions: readonly Comprehension[], unpacks: readonly number[]): void {
  const unpacked = new Set(unpacks);
  let lazy: Array<{ start: number; end: number }> | undefined;
  for (const call of calls) {
    const at = call.span.start;
    const before = skipSpaceBack(text, at);
    const c = text.charCodeAt(before - 1);
    if (c === 42 /* * */) {
      const prev = text.charCodeAt(skipSpaceBack(text, before - 1) - 1);
      if (text.charCodeAt(before - 2) !== 42 && (prev === 40 || prev === 91 || prev === 123 || prev === 44) /* ( [ { , */) call.iterated = true;
      continue;
    }
    if (c === 61 /* = */) {
      // the whole value of an assignment to a pattern: `a, b = g()`
      if (unpacked.has(before - 1) && endsStatement(text, call.span.end)) call.iterated = true;
      continue;
    }
    const w = wordBefore(text, before);
    if (!w) continue;
    if (w.word === 'from') {
      if (wordBefore(text, w.start)?.word === 'yield') call.iterated = true;
    } else if (w.word === 'in') {
      lazy ??= generatorClauses(text, comprehensions);
      if (!lazy.some((r) => r.start <= at && at < r.end)) call.iterated = true;
    }
  }
}

/** The iterables of generator expressions' `for … in` clauses. */
function generatorClauses(text: string, comprehensions: readonly Comprehension[]): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const comp of comprehensions) {
    const open = text.charCodeAt(comp.start);
    if (open === 91 || open === 123) continue; // [ {: list, set and dict comprehensions run at once
    for (const clause of comp.clauses) out.push({ start: clause.iterStart, end: clause.iterEnd });
  }
  return out;
}

/**
 * The start of calls whose callee is not a dotted name. Most are chains on another call's result
 * (`f(x)(y)`, `make().get(u)`): the callee then starts where that inner call starts, which we know
 * without asking the tree. The rest (`a[0](x)`, `"".join(xs)`) ask the tree for the call node.
 */
function placeCalls(text: string, calls: CallRec[], unplaced: ReadonlyArray<{ index: number; args: Node }>): CallRec[] {
  if (unplaced.length === 0) return calls;
  const byEnd = new Map<number, CallRec>();
  for (const c of calls) if (c.start >= 0) byEnd.set(c.end, c);
  // inner calls end before outer ones begin their argument list: resolve in source order
  const pending = [...unplaced].sort((a, b) => calls[a.index].argsStart - calls[b.index].argsStart);
  let dropped = false;
  for (const { index, args } of pending) {
    const c = calls[index];
    const inner = byEnd.get(innerCallEnd(text, c.argsStart));
    if (inner && inner.start >= 0) c.start = inner.start;
    else {
      // the bases of `class A[T](Base)` are an argument list too
      const parent = args.parent;
      if (!parent || parent.type !== 'call') {
        dropped = true;
        continue;
      }
      c.start = parent.startIndex;
    }
    c.calleeEnd = skipSpaceBack(text, c.argsStart, c.start);
    byEnd.set(c.end, c);
  }
  return dropped ? calls.filter((c) => c.start >= 0) : calls;
}

/** `…)(` or `…).a.b(`: the offset just after the `)` that ends the receiver, or -1. */
function innerCallEnd(text: string, open: number): number {
  let i = skipSpaceBack(text, open);
  for (;;) {
    const c = text.charCodeAt(i - 1);
    if (c === 41 /* ) */) return i;
    // back over `.name`
    let j = i;
    while (j > 0) {
      const d = text.charCodeAt(j - 1);
      if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || d === 95 || (d >= 48 && d <= 57))) break;
      j--;
    }
    if (j === i) return -1;
    j = skipSpaceBack(text, j);
    if (text.charCodeAt(j - 1) !== 46 /* . */) return -1;
    i = skipSpaceBack(text, j - 1);
  }
}

/** higher wins when several nodes bind the same name (`with f() as x` is also a plain target) */
function rank(h: Held): number {
  return h === Held.Other ? 0 : h === Held.None ? 1 : h === Held.Annotation ? 2 : 3;
}

/**
 * Comprehension variables shadow other names inside their comprehension (also in its first iterable,
 * which strictly runs outside: a miss there beats a false alarm). Marks the calls inside, and returns
 * the variables' positions: they are no bindings of the enclosing function.
 */
function shadowByComprehensions(text: string, calls: readonly CallRec[], comps: Comprehension[], vars: readonly number[]): Set<number> {
  const positions = new Set<number>(vars);
  if (comps.length === 0 || vars.length === 0) return positions;
  comps.sort((a, b) => a.start - b.start || b.end - a.end);
  const innermost = (at: number): Comprehension | undefined => {
    let found: Comprehension | undefined;
    for (const c of comps) {
      if (c.start > at) break;
      if (at < c.end) found = c;
    }
    return found;
  };
  for (const v of vars) innermost(v)?.names.add(text.slice(v, identEnd(text, v)));
  // calls are sorted by start: sweep with the comprehensions open at each call
  const open: Comprehension[] = [];
  let next = 0;
  for (const call of calls) {
    while (next < comps.length && comps[next].start <= call.start) open.push(comps[next++]);
    for (let i = open.length - 1; i >= 0; i--) if (open[i].end <= call.start) open.splice(i, 1);
    for (const c of open) {
      if (c.names.size === 0) continue;
      call.shadow ??= new Set();
      for (const n of c.names) call.shadow.add(n);
    }
  }
  return positions;
}

/** An API the catalogue describes is the rules' business, not a function of the workspace to follow. */
function isCatalogued(catalogue: EcosystemCatalogue, name: string): boolean {
  return catalogue.lookup(name) !== undefined || catalogue.cpuHeavy(name) !== undefined || catalogue.types.has(name);
}

/** `name` is `origin.target` plus the attributes the call adds: `pkg.util.read_all` from `pkg.util` → path `['util', 'read_all']`. */
function importedName(origin: ImportOrigin, name: string): ImportedName {
  const path = origin.path.slice();
  if (name.length > origin.target.length) for (const seg of name.slice(origin.target.length + 1).split('.')) path.push(seg);
  return { specifier: origin.specifier, path };
}

/** Several patterns can match one name node: the highest-ranked one counts. */
function best(raws: readonly RawBinding[]): Iterable<RawBinding> {
  const byName = new Map<number, RawBinding>();
  for (const r of raws) {
    const prev = byName.get(r.nameStart);
    if (!prev || rank(r.held) > rank(prev.held)) byName.set(r.nameStart, r);
  }
  return byName.values();
}

function scopeKind(s: PyScope): FunctionScope['kind'] {
  if (s.kind === 'module') return 'module';
  if (s.kind === 'class') return 'class';
  if (s.isAsync) return 'async';
  return s.offloadReason !== undefined ? 'offloaded' : 'sync';
}

/** `method` → `Class.method`, `Outer.Inner.method` for nested classes; plain functions keep their name. */
function qualifiedScopeName(table: ScopeTable, s: PyScope): string | undefined {
  if (s.name === undefined || s.kind === 'module') return undefined;
  let name = s.name;
  let p = s.parent === undefined ? undefined : table.get(s.parent);
  while (p && p.kind === 'class' && p.name !== undefined) {
    name = `${p.name}.${name}`;
    p = p.parent === undefined ? undefined : table.get(p.parent);
  }
  return name;
}

/**
 * Reads a scope's header from the text: the name after `def`/`async def`/`class`, the parameter
 * list or bases, and the `:` after which the body starts.
 */
function nameScope(text: string, s: PyScope): void {
  if (s.kind === 'module') return;
  if (s.kind === 'lambda') {
    s.headEnd = s.start + 'lambda'.length;
    const colon = headerColon(text, s.headEnd, s.end);
    if (colon >= 0) {
      s.bodyStart = colon + 1;
      s.params = splitItems(text, s.headEnd, colon);
    }
    return;
  }
  let i = s.start;
  if (keywordAt(text, i, 'async')) i = skipTrivia(text, i + 5, s.end);
  i = skipTrivia(text, i + (s.kind === 'class' ? 5 : 3), s.end);
  const end = identEnd(text, i);
  if (end === i) return;
  s.name = text.slice(i, end);
  s.headStart = i;
  s.headEnd = end;
  let open = skipTrivia(text, end, s.end);
  if (text.charCodeAt(open) === 91 /* [ type parameters */) open = skipTrivia(text, closingBracket(text, open, s.end) + 1, s.end);
  let after = open;
  if (text.charCodeAt(open) === 40 /* ( */) {
    const close = closingBracket(text, open, s.end);
    if (close < 0) return;
    const items = splitItems(text, open + 1, close);
    if (s.kind === 'class') s.bases = items;
    else s.params = items;
    after = close + 1;
  }
  const colon = headerColon(text, after, s.end);
  if (colon >= 0) s.bodyStart = colon + 1;
}

/** Is the def a staticmethod? Its first parameter is then not `self`. */
function isStaticMethod(text: string, defStart: number): boolean {
  return hasDecorator(text, defStart, /^@\s*staticmethod\b/);
}

/** Does one of the decorator lines directly above the def match? */
function hasDecorator(text: string, defStart: number, pattern: RegExp): boolean {
  // walk back over the decorator lines directly above the def
  let lineEnd = text.lastIndexOf('\n', defStart - 1);
  while (lineEnd > 0) {
    const lineStart = text.lastIndexOf('\n', lineEnd - 1) + 1;
    const line = text.slice(lineStart, lineEnd).trim();
    if (!line.startsWith('@')) return false;
    if (pattern.test(line)) return true;
    lineEnd = lineStart - 1;
  }
  return false;
}

/** `@functools.cache`, `@lru_cache(maxsize=None)`, `@cachetools.cached(…)`, `@memoize`: the name calls the cache. */
const MEMOIZING_DECORATOR = /^@\s*(?:[\w.]*\.)?(?:cache|lru_cache|cached|memoize\w*|memoized)\b/;

/**
 * Call.target and FunctionScope.selfCalls from what name resolution already found (no other pass over
 * the tree): calls whose callee means a def of this file, except memoized defs.
 */
function linkTargets(text: string, table: ScopeTable, calls: readonly CallRec[], modelCalls: Call[]): void {
  let memoized: Map<number, boolean> | undefined;
  for (let i = 0; i < calls.length; i++) {
    const target = calls[i].target;
    if (target === undefined) continue;
    memoized ??= new Map();
    let m = memoized.get(target);
    if (m === undefined) memoized.set(target, (m = hasDecorator(text, table.get(target).start, MEMOIZING_DECORATOR)));
    if (m) continue;
    modelCalls[i].target = target;
    if (calls[i].scope === target) {
      const s = table.get(target);
      s.selfCalls = (s.selfCalls ?? 0) + 1;
    }
  }
}

type Bind = (scope: PyScope, name: string, b: Binding) => void;

function bindParams(text: string, table: ScopeTable, fn: PyScope, bind: Bind): void {
  const items = fn.params;
  if (!items) return;
  const parent = fn.parent ?? 0;
  const inClass = fn.kind === 'def' && table.get(parent).kind === 'class' && !isStaticMethod(text, fn.start);
  for (let index = 0; index < items.length; index++) {
    const it = items[index];
    let i = it.start;
    while (text.charCodeAt(i) === 42 /* * */) i++;
    i = skipTrivia(text, i, it.end);
    const nameEnd = identEnd(text, i);
    if (nameEnd === i) continue; // `/` or a bare `*`
    const name = text.slice(i, nameEnd);
    if (index === 0 && inClass && i === it.start) {
      fn.selfName = name;
      bind(fn, name, { k: 'self', cls: parent });
    } else if (fn.kind === 'def' && it.colon >= 0 && (it.eq < 0 || it.colon < it.eq)) {
      const aStart = skipTrivia(text, it.colon + 1, it.end);
      const aEnd = it.eq >= 0 ? skipSpaceBack(text, it.eq, aStart) : it.end;
      // annotations are evaluated where the def is
      bind(fn, name, { k: 'annotation', start: aStart, end: aEnd, scope: parent });
    } else bind(fn, name, { k: 'other' });
  }
}

function writtenCallee(text: string, c: CallRec): string {
  const raw = text.slice(c.start, c.calleeEnd);
  return /[\s\\#]/.test(raw) && dottedSegments(text, c.start, c.calleeEnd) ? raw.replace(/\s+|\\|#[^\n]*/g, '') : raw;
}

interface Ctx {
  text: string;
  resolver: Resolver;
  table: ScopeTable;
  /** lambdas by start offset */
  lambdas: Map<number, PyScope>;
  /** names of all defs in the file: an argument that is none of these is not a local function */
  defNames: Set<string>;
  classes: LocalClasses;
}

function callArguments(ctx: Ctx, c: CallRec): Argument[] {
  const { text } = ctx;
  if (c.genexp) return [{ span: { start: c.argsStart, end: c.end }, keyword: undefined, spread: undefined, isFunction: false }];
  const close = text.charCodeAt(c.end - 1) === 41 /* ) */ ? c.end - 1 : c.end;
  const items = splitItems(text, c.argsStart + 1, close);
  const args = new Array<Argument>(items.length);
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    let spread: Argument['spread'];
    let keyword: string | undefined;
    let valueStart = it.start;
    if (text.charCodeAt(it.start) === 42 /* * */) {
      spread = text.charCodeAt(it.start + 1) === 42 ? 'keyword' : 'positional';
    } else if (it.eq >= 0) {
      const nameEnd = identEnd(text, it.start);
      if (nameEnd > it.start && skipTrivia(text, nameEnd, it.eq) === it.eq) {
        keyword = text.slice(it.start, nameEnd);
        valueStart = skipTrivia(text, it.eq + 1, it.end);
      }
    }
    args[k] = {
      span: { start: it.start, end: it.end },
      keyword,
      spread,
      isFunction: spread === undefined && functionAt(ctx, valueStart, it.end, c.scope) !== undefined,
    };
  }
  return args;
}

/** The function an expression refers to: a lambda, a local def, `self.method`, `functools.partial(fn, …)`. */
function functionAt(ctx: Ctx, start: number, end: number, scope: number): PyScope | undefined {
  const { text, resolver } = ctx;
  const c = text.charCodeAt(start);
  if (c === 108 /* l */ && keywordAt(text, start, 'lambda')) return ctx.lambdas.get(start);
  const nameEnd = identEnd(text, start);
  if (nameEnd === start) return undefined;
  if (nameEnd === end || text.charCodeAt(skipTrivia(text, nameEnd, end)) === 46 /* . */) {
    const parts = dottedSegments(text, start, end);
    // cheap filter first: most arguments are not names of defs in this file
    if (parts && parts.length <= 2 && ctx.defNames.has(parts[parts.length - 1])) {
      const m = resolver.chain(parts, scope);
      return m.k === 'def' ? ctx.table.get(m.scope) : undefined;
    }
    if (parts) return undefined;
  }
  const call = resolver.callAt(start);
  if (call && call.end === end && !call.genexp && call.name !== undefined && FUNCTION_WRAPPERS.has(call.name)) {
    const first = splitItems(text, call.argsStart + 1, call.end - 1)[0];
    if (first && first.eq < 0 && text.charCodeAt(first.start) !== 42) return functionAt(ctx, first.start, first.end, scope);
  }
  return undefined;
}

function offloaderOf(c: CallRec): Offloader | undefined {
  if (c.name !== undefined) return OFFLOADERS.get(c.name);
  return c.method !== undefined && c.receiver !== undefined ? offloaderByMethod(c.method, c.receiver) : undefined;
}

/**
 * The function a hand-over argument names — a def, a lambda, `self.method`, a method of an instance
 * of one of the file's classes (`worker.run`, `Worker().run`), through `functools.partial` — and the
 * object a method is bound to (OffloadSite.concurrent asks whether several threads share it).
 */
function offloadTarget(ctx: Ctx, start: number, end: number, scope: number, depth = 0): { fn: PyScope; receiver: Receiver } | undefined {
  const { text, resolver } = ctx;
  const wrapper = resolver.callAt(start);
  if (depth === 0 && wrapper && wrapper.end === end && !wrapper.genexp && wrapper.name !== undefined && FUNCTION_WRAPPERS.has(wrapper.name)) {
    const first = splitItems(text, wrapper.argsStart + 1, wrapper.end - 1)[0];
    return first && first.eq < 0 && text.charCodeAt(first.start) !== 42 ? offloadTarget(ctx, first.start, first.end, scope, depth + 1) : undefined;
  }
  const fn = functionAt(ctx, start, end, scope);
  if (fn) return { fn, receiver: fn.kind === 'def' && dottedSegments(text, start, end)?.length === 2 ? { k: 'self' } : { k: 'function' } };
  return instanceMethodAt(text, ctx.classes, start, end, scope, (at) => resolver.callAt(at));
}

function markOffloaded(ctx: Ctx, calls: readonly CallRec[], modelCalls: readonly Call[]): HandOver[] {
  const { text } = ctx;
  const handOvers: HandOver[] = [];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    const off = offloaderOf(c);
    if (!off) continue;
    const args = modelCalls[i].args;
    let arg = off.keyword === undefined ? undefined : args.find((a) => a.keyword === off.keyword);
    if (!arg) {
      const positional: Argument[] = [];
      for (const a of args) {
        if (a.spread !== undefined) break;
        if (a.keyword === undefined) positional.push(a);
      }
      arg = positional[off.arg];
    }
    if (!arg) continue;
    const valueStart = arg.keyword === undefined ? arg.span.start : skipTrivia(text, text.indexOf('=', arg.span.start) + 1, arg.span.end);
    const target = offloadTarget(ctx, valueStart, arg.span.end, c.scope);
    const fn = target?.fn;
    if (!target || !fn || fn.isAsync || (fn.kind !== 'def' && fn.kind !== 'lambda')) continue;
    fn.offloadReason ??= off.reason;
    const via = off.via === 'executor' ? executorKind(ctx, args, c.scope) : off.via;
    if (via !== undefined && fn.offload === undefined) {
      fn.offload = { span: { start: valueStart, end: arg.span.end }, call: { start: c.start, end: c.end }, via, api: modelCalls[i].written };
    }
    handOvers.push({ fn, call: c, via, receiver: target.receiver, isMap: isMapCall(c) });
  }
  return handOvers;
}

/** `run_in_executor(None, …)` runs in the loop's default thread pool; a named executor by its type. */
function executorKind(ctx: Ctx, args: readonly Argument[], scope: number): 'thread' | 'process' | undefined {
  const first = args[0];
  if (!first || first.keyword !== undefined || first.spread !== undefined) return undefined;
  const { text } = ctx;
  if (keywordAt(text, first.span.start, 'None') && first.span.end === first.span.start + 4) return 'thread';
  const parts = dottedSegments(text, first.span.start, first.span.end);
  if (!parts) return undefined;
  const m = ctx.resolver.chain(parts, scope);
  const type = m.k === 'instance' ? m.type : undefined;
  if (type === 'concurrent.futures.ProcessPoolExecutor') return 'process';
  if (type === 'concurrent.futures.ThreadPoolExecutor') return 'thread';
  return undefined;
}

/**
 * `class Worker(threading.Thread): def run(self)` — run() runs in the new thread. Where the file
 * creates such an object (`Worker(…)`), that call is the hand-over site: each object runs its own
 * `run` once, so it is not concurrent by itself.
 */
function markRunMethods(ctx: Ctx, calls: readonly CallRec[]): void {
  const { text, table, resolver } = ctx;
  let started: Map<string, Array<{ cls: PyScope; run: PyScope; via: 'thread' | 'process'; api: string }>> | undefined;
  for (const s of table.scopes) {
    if (s.kind !== 'class' || !s.bases) continue;
    for (const base of s.bases) {
      const parts = dottedSegments(text, base.start, base.end);
      if (!parts) continue;
      const m = resolver.chain(parts, s.parent ?? 0);
      const q = m.k === 'qualified' ? m.q : undefined;
      const reason = q === undefined ? undefined : RUN_METHOD_BASES.get(q);
      if (!reason) continue;
      for (const b of s.names.get('run') ?? []) {
        if (b.k !== 'def') continue;
        const run = table.get(b.scope);
        if (run.isAsync) continue;
        run.offloadReason ??= reason;
        if (s.name === undefined) continue;
        started ??= new Map();
        const list = started.get(s.name) ?? [];
        list.push({ cls: s, run, via: q === 'threading.Thread' ? 'thread' : 'process', api: text.slice(base.start, base.end) });
        started.set(s.name, list);
      }
    }
  }
  if (!started) return;
  for (const c of calls) {
    if (c.name !== undefined || c.calleeEnd - c.start > 200) continue;
    const candidates = started.get(text.slice(c.start, c.calleeEnd));
    if (!candidates) continue;
    const cls = ctx.classes.instantiated(c);
    const hit = candidates.find((x) => x.cls === cls);
    if (!hit || hit.run.offload !== undefined) continue;
    hit.run.offload = { span: { start: c.start, end: c.calleeEnd }, call: { start: c.start, end: c.end }, via: hit.via, api: hit.api };
  }
}
