// unsynchronized-shared-state, Python side of the model: read-modify-writes of shared state made in
// functions (StateWrite, `op: 'update'` only) and the stretches of code that hold a lock (LockRegion,
// threading and asyncio locks: locks.ts).
//
// Shared state is what another thread can reach by name: a module global assigned through `global`,
// an attribute or container entry of a module-level object, an attribute or container entry of `self`
// (keyed per class: `Counter.self.count`). Locals, parameters and `nonlocal` names never are. A write
// is an update when it reads the state it writes: `n += 1`, `n = n + 1`, `n = f(n)`,
// `d[k] = d.get(k, 0) + 1`, `self.total = self.total + x`. A store of a fresh value (`d[k] = v`,
// `flag = True`) and single calls on builtins (`lst.append(x)`, `q.put(x)`) are atomic under the GIL
// and not recorded. `self` attributes are not recorded in `__init__`, `__new__` and `__post_init__`
// (nobody else has the instance yet); a classmethod's `cls.x` is per class, like a module-level object.
//
// Cost: lock regions come from the text (locks.ts). Writes are looked for only in files that hand a
// function to a thread, the only files where the rule can report: statements that assign to a global,
// `self` or a module-level name are found in the text, and only those are read from the tree. Writes
// are recorded in every function of such a file, not only in the functions threads reach: the rule
// also asks whether code that is not a thread writes the same state.

import type { Node } from 'web-tree-sitter';
import type { LockRegion, StateRef, StateWrite } from '../../engine/model';
import type { BuiltModel } from './build';
import { collectLockRegions } from './locks';
import { closingBracket, dottedSegments, expressionEnd, identEnd, readDotted, skipInline } from './scan';
import type { PyScope } from './scopes';
import { bindingScope, LocalClasses } from './shared-state-concurrency';
import { pathAt } from './tree';

export function collectSharedState(text: string, root: Node, built: BuiltModel): { stateWrites: StateWrite[]; lockRegions: LockRegion[] } {
  const lockRegions = collectLockRegions(text, root, built);
  const threads = built.scopes.some((s) => s.kind === 'offloaded' && s.offload?.via === 'thread');
  return { stateWrites: threads ? collectStateWrites(text, root, built) : [], lockRegions };
}

/** Methods whose `self` nobody else can have yet. */
const CONSTRUCTORS = new Set(['__init__', '__new__', '__post_init__']);

function collectStateWrites(text: string, root: Node, built: BuiltModel): StateWrite[] {
  const out: StateWrite[] = [];
  forEachAssignmentCandidate(text, (start) => {
    const write = candidateWrite(text, root, built, start);
    if (write) out.push(write);
  });
  return out;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

/**
 * Where a statement that may assign starts: on lines with an `=`, the first word of an indented line
 * (writes are only recorded in function bodies) and a word after `;` or a compound statement's `:`
 * (`if x: n += 1`). Jumps from `=` to `=`: most lines have none.
 */
function forEachAssignmentCandidate(text: string, visit: (start: number) => void): void {
  const n = text.length;
  for (let eq = text.indexOf('='); eq >= 0; ) {
    const lineStart = text.lastIndexOf('\n', eq) + 1;
    let lineEnd = text.indexOf('\n', eq);
    if (lineEnd < 0) lineEnd = n;
    let i = lineStart;
    while (i < lineEnd && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (i > lineStart && isIdentStart(text.charCodeAt(i))) visit(i);
    for (let j = i; j < lineEnd; j++) {
      const c = text.charCodeAt(j);
      if (c !== 59 && c !== 58 /* ; : */) continue;
      let k = j + 1;
      while (k < lineEnd && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
      if (k < lineEnd && isIdentStart(text.charCodeAt(k))) visit(k);
    }
    eq = lineEnd >= n ? -1 : text.indexOf('=', lineEnd);
  }
}

/** The write of shared state made by the statement starting at `start`, if it is one. */
function candidateWrite(text: string, root: Node, built: BuiltModel, start: number): StateWrite | undefined {
  // most statements call something or bind a local: decide from the text before asking the tree
  const target = readDotted(text, start);
  if (!target) return undefined;
  const afterName = skipInline(text, target.end);
  const subscripted = text.charCodeAt(afterName) === 91; /* [ */
  let i = afterName;
  while (text.charCodeAt(i) === 91) {
    const close = closingBracket(text, i, text.length);
    if (close < 0) break;
    i = skipInline(text, close + 1);
  }
  if (!assignsAt(text, i)) return undefined;
  // a plain store whose value does not even mention the state is no update (`self.x = value`)
  if (text.charCodeAt(i) === 61 /* = */ && !text.slice(i + 1, expressionEnd(text, i + 1).end).includes(target.parts[target.parts.length - 1])) return undefined;
  const scope = built.table.at(start);
  if (scope.kind !== 'def') return undefined;
  if (target.parts.length === 1 && !subscripted) {
    if (!scope.globals?.has(target.parts[0])) return undefined;
  } else if (!maybeShared(built, scope, target.parts[0])) return undefined;
  const node = assignmentAt(root, start);
  return node && stateWrite(text, built, node, scope);
}

/** `=` (not `==`) or an augmented assignment operator at `i`. */
function assignsAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 61 /* = */) return text.charCodeAt(i + 1) !== 61;
  return /^(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)=/.test(text.slice(i, i + 4));
}

/** The assignment or augmented assignment node that starts at `start`. */
function assignmentAt(root: Node, start: number): Node | undefined {
  // up the path down to the node at `start` (tree.ts), not with Node.parent: that node can be a zero-width ERROR node
  const path = pathAt(root, start) ?? [];
  for (let i = path.length - 1; i >= 0 && path[i].startIndex === start; i--) {
    const n = path[i];
    if (n.type === 'assignment' || n.type === 'augmented_assignment') return n;
  }
  return undefined;
}

/** Can `name`, read in `scope`, be shared: `self` (or `cls`) of a method, or a module-level name? */
function maybeShared(built: BuiltModel, scope: PyScope, name: string): boolean {
  const owner = bindingScope(built.table, name, scope.id);
  if (!owner) return false;
  if (owner.kind === 'module') return true;
  const m = built.resolver.meaning(name, scope.id);
  return m.k === 'self';
}

/** The method of class `cls` that a scope is (or is nested in). */
function methodOf(built: BuiltModel, scope: PyScope, cls: number): PyScope | undefined {
  for (let s: PyScope | undefined = scope; s && s.parent !== undefined; s = built.table.get(s.parent)) {
    if (s.parent === cls) return s.kind === 'def' ? s : undefined;
  }
  return undefined;
}

function isClassMethod(text: string, def: PyScope): boolean {
  // the decorator lines directly above the def
  let lineEnd = text.lastIndexOf('\n', def.start - 1);
  while (lineEnd > 0) {
    const lineStart = text.lastIndexOf('\n', lineEnd - 1) + 1;
    const line = text.slice(lineStart, lineEnd).trim();
    if (!line.startsWith('@')) return false;
    if (/^@\s*classmethod\b/.test(line)) return true;
    lineEnd = lineStart - 1;
  }
  return false;
}

function stateWrite(text: string, built: BuiltModel, node: Node, scope: PyScope): StateWrite | undefined {
  const stmt = node.parent;
  if (!stmt || stmt.type !== 'expression_statement') return undefined;
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (!left || !right || right.type === 'assignment' || right.type === 'augmented_assignment') return undefined;

  // the target: a dotted name, possibly subscripted (`d[k]`, `self.totals[i][j]`)
  let base: Node = left;
  let subscripted = false;
  while (base.type === 'subscript') {
    const value = base.childForFieldName('value');
    if (!value) return undefined;
    base = value;
    subscripted = true;
  }
  if (base.type !== 'identifier' && base.type !== 'attribute') return undefined;
  const parts = dottedParts(text, base);
  if (!parts) return undefined;

  const state = stateRef(text, built, scope, parts, subscripted, text.slice(left.startIndex, left.endIndex));
  if (!state) return undefined;
  const augmented = node.type === 'augmented_assignment';
  if (!augmented && !reads(text, right, parts)) return undefined;
  const opNode = augmented ? node.childForFieldName('operator') : undefined;
  return {
    span: { start: stmt.startIndex, end: stmt.endIndex },
    scope: scope.id,
    state,
    op: 'update',
    operator: opNode ? text.slice(opNode.startIndex, opNode.endIndex) : '=',
  };
}

function stateRef(text: string, built: BuiltModel, scope: PyScope, parts: string[], subscripted: boolean, written: string): StateRef | undefined {
  const root = parts[0];
  if (parts.length === 1 && !subscripted) {
    return scope.globals?.has(root) ? { kind: 'variable', owner: 'module', key: root, written } : undefined;
  }
  const owner = bindingScope(built.table, root, scope.id);
  if (!owner) return undefined;
  const kind: StateRef['kind'] = subscripted ? 'element' : 'attribute';
  const suffix = subscripted ? '[]' : '';
  if (owner.kind === 'module') {
    return threadLocalName(text, built, owner, root) ? undefined : { kind, owner: 'module', key: parts.join('.') + suffix, written };
  }
  const m = built.resolver.meaning(root, scope.id);
  if (m.k !== 'self' || parts.length < 2 || threadLocalClass(text, built, built.table.get(m.cls))) return undefined;
  const method = methodOf(built, scope, m.cls);
  if (!method || method.name === undefined || method.name === '__new__') return undefined;
  const className = built.scopes[m.cls].name ?? 'class';
  const rest = parts.slice(1).join('.');
  // a classmethod's `cls.x` is one per class, shared like a module-level object
  if (isClassMethod(text, method)) return { kind, owner: 'module', key: `${className}.${rest}${suffix}`, written };
  if (CONSTRUCTORS.has(method.name)) return undefined;
  return { kind, owner: 'instance', key: `${className}.self.${rest}${suffix}`, written };
}

const THREAD_LOCAL = new Set(['threading.local', '_threading_local.local']);

/** A class of the file that subclasses `threading.local`: each thread sees its own attributes. */
function threadLocalClass(text: string, built: BuiltModel, cls: PyScope): boolean {
  for (const base of cls.bases ?? []) {
    const parts = dottedSegments(text, base.start, base.end);
    const m = parts && built.resolver.chain(parts, cls.parent ?? 0);
    if (m && m.k === 'qualified' && THREAD_LOCAL.has(m.q)) return true;
  }
  return false;
}

/** A module-level name bound to `threading.local()` or to an instance of a subclass of it: per-thread storage. */
function threadLocalName(text: string, built: BuiltModel, owner: PyScope, name: string): boolean {
  for (const b of owner.names.get(name) ?? []) {
    if (b.k !== 'value') continue;
    const q = built.resolver.callName(b.call);
    if (q !== undefined && THREAD_LOCAL.has(q)) return true;
    const cls = new LocalClasses(text, built.table).instantiated(b.call);
    if (cls && threadLocalClass(text, built, cls)) return true;
  }
  return false;
}

/** `a.b.c` as segments, when the node is only names and dots. */
function dottedParts(text: string, node: Node): string[] | undefined {
  const raw = text.slice(node.startIndex, node.endIndex);
  const parts = raw.split('.').map((p) => p.trim());
  return parts.every((p) => p.length > 0 && identEnd(p, 0) === p.length) ? parts : undefined;
}

/**
 * Does the right-hand side read the state: the name (not as an attribute or keyword name: `x.n`,
 * `f(n=1)`), the same attribute chain, or — for a container entry — the container itself?
 */
function reads(text: string, right: Node, parts: readonly string[]): boolean {
  const wanted = parts.join('.');
  const raw = text.slice(right.startIndex, right.endIndex);
  if (!raw.includes(parts[parts.length - 1])) return false;
  if (parts.length > 1) {
    for (const n of right.descendantsOfType('attribute')) {
      if (n && dottedParts(text, n)?.join('.') === wanted) return true;
    }
    return false;
  }
  for (const n of right.descendantsOfType('identifier')) {
    if (!n || text.slice(n.startIndex, n.endIndex) !== wanted) continue;
    const p = n.parent;
    if (p?.type === 'attribute' && p.childForFieldName('attribute')?.startIndex === n.startIndex) continue;
    if (p?.type === 'keyword_argument' && p.childForFieldName('name')?.startIndex === n.startIndex) continue;
    return true;
  }
  return false;
}
