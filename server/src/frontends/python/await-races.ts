// race-across-await, Python side of the model: in `async def` bodies, a read of shared state, an
// `await`, and a write of the same state that depends on the read (AwaitRace).
//
// Shared state here is a module-level variable rebound through `global`, an attribute of `self` (the
// first parameter of a method, also seen from async functions nested in it) or of a module-level
// object (`stats.total`, `Counter.count`), and an entry of a container held in one of those
// (`cache[key]`, `self._by_id[k]`). Locals, parameters, closures (`nonlocal`) and imports of other
// functions' names are never state. `__init__` and friends run before the instance is shared.
//
// The writes are assignments and augmented assignments whose target is such state. For each one the
// first shape that fits is recorded:
// - `update`: the statement itself reads the state before an `await` it evaluates: `x += await f()`
//   (Python loads the target first), `self.x = self.x + await f()`, `x = await g(x)` (arguments are
//   evaluated before the await suspends), `cache[k] = cache.get(k, 0) + await f()`. A read after the
//   await (`x = await f() + x`) is fresh; a read in the branch of a conditional expression whose
//   condition awaits is evaluated after it.
// - `stale`: the value written uses a local whose reaching assignment read the state, and an await that
//   certainly runs lies between that read and the write. We follow only what is certain: the local's
//   assignment is an earlier statement of a block that (directly or through nested blocks) holds the
//   write, no other binding of the local lies between them (in a loop around the write, anywhere in
//   that loop), and the await is in the assignment after the read, in a statement between, in the
//   header of a compound statement on the way down, or in the write's own value. Awaits inside
//   branches we step over (`if c: await x`), behind `and`/`or`, in comprehensions or in nested
//   functions do not count. Decisions: `x = b + x` after the await re-reads `x` but still adds the
//   stale `b`, so it is a race; `x += b` likewise. Re-assigning the local from the state after the
//   await ends the race. Writing back the very value saved (`old = self.state; …; self.state = old`)
//   is a restore, not a lost update, and is not recorded.
// - `check`: the nearest test of the same state that decides the write — an `if`/`elif` whose body
//   holds it, or an earlier `if` that leaves the block (`if key in cache: return cache[key]`) without
//   writing the state itself (that is a hand-off's fast path, as in a lock's `acquire`) — and an
//   await that certainly runs between the test and the write (in the test after the read, which an
//   `and` makes certain too, or on the way down as for `stale`). The nearest test counts: a test
//   repeated after the await (double-checked) ends the race.
// For elements, read and write must name the same entry as written (`cache[key]`, `cache.get(key)`,
// `key in cache`); different keys of one container are different state.
//
// Cost: only `async def`s whose body mentions `await`/`async` are looked at; their assignments come
// from one walk in WASM, and the subtrees around a write to state are visited only for those writes.

import type { Node } from 'web-tree-sitter';
import type { AwaitRace, Span, StateRef } from '../../engine/model';
import type { BuiltModel } from './build';
import type { PyScope } from './scopes';
import { pathAt } from './tree';

/** methods that run before the instance can be seen by another task */
const NOT_SHARED_YET = new Set(['__init__', '__new__', '__post_init__', '__init_subclass__', '__set_name__']);

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/** clauses whose block belongs to the statement that owns the clause */
const CLAUSES = new Set(['elif_clause', 'else_clause', 'except_clause', 'except_group_clause', 'finally_clause']);

/** container methods that read one entry: `cache.get(key)` reads `cache[key]` */
const ENTRY_READERS = new Set(['get', 'setdefault', 'pop']);

/** statements after which the rest of the block does not run */
const EXITS = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);

export function collectAwaitRaces(text: string, root: Node, built: BuiltModel): AwaitRace[] {
  const out: AwaitRace[] = [];
  for (const scope of built.scopes) {
    if (scope.kind !== 'async') continue;
    const py = built.table.get(scope.id);
    if (py.kind !== 'def' || (py.name !== undefined && NOT_SHARED_YET.has(py.name))) continue;
    if (!mentionsAwait(text, py.bodyStart, py.end)) continue;
    const fn = functionNode(root, scope.span);
    if (fn) new FunctionRaces(text, built, scope.id, fn).collect(out);
  }
  out.sort((a, b) => a.write.start - b.write.start);
  return out;
}

/** `await`, `async for`, `async with` anywhere in the text range (nested functions included: a prefilter). */
function mentionsAwait(text: string, start: number, end: number): boolean {
  const a = text.indexOf('await', start);
  if (a >= 0 && a < end) return true;
  const b = text.indexOf('async', start);
  return b >= 0 && b < end;
}

function functionNode(root: Node, span: Span): Node | undefined {
  // up the path down to the node at the span (tree.ts), not with Node.parent: that node can be a zero-width ERROR node
  const path = pathAt(root, span.start, Math.max(span.start, span.end - 1)) ?? [];
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i];
    if (n.type === 'function_definition' && n.startIndex === span.start) return n;
    if (n.startIndex < span.start) return undefined;
  }
  return undefined;
}

function same(a: Node | null | undefined, b: Node | null | undefined): boolean {
  return !!a && !!b && a.id === b.id;
}

function spanOf(n: Node): Span {
  return { start: n.startIndex, end: n.endIndex };
}

function isAsync(n: Node): boolean {
  return n.firstChild?.type === 'async';
}

/** A write's target that is shared state. */
interface Target {
  ref: StateRef;
  /** variable: its name; attribute: the chain (`self.count`); element: the container's chain */
  chain: string;
  /** element only: the entry as written, without spaces (`key`, `a,b`) */
  index: string | undefined;
}

class FunctionRaces {
  private readonly scope: PyScope;

  constructor(
    private readonly text: string,
    private readonly built: BuiltModel,
    private readonly id: number,
    private readonly fn: Node,
  ) {
    this.scope = built.table.get(id);
  }

  collect(out: AwaitRace[]): void {
    for (const w of this.fn.descendantsOfType(['assignment', 'augmented_assignment'])) {
      if (!w || !this.inScope(w)) continue;
      const stmt = w.parent;
      if (!stmt || stmt.type !== 'expression_statement' || stmt.namedChildCount !== 1) continue;
      const left = w.childForFieldName('left');
      const right = w.childForFieldName('right');
      if (!left || !right || right.type === 'assignment' || right.type === 'augmented_assignment') continue;
      const target = this.targetOf(left);
      if (!target) continue;
      const race =
        this.update(w, left, right, stmt, target) ?? this.stale(right, stmt, target) ?? this.check(right, stmt, target);
      if (race) out.push(race);
    }
  }

  // ---- the three shapes ----

  private update(w: Node, left: Node, right: Node, stmt: Node, target: Target): AwaitRace | undefined {
    if (w.type === 'augmented_assignment') {
      const a = this.awaitsIn(right)[0];
      return a ? this.race('update', target, spanOf(left), spanOf(a), stmt) : undefined;
    }
    const reads = this.readsIn(right, target);
    if (reads.length === 0) return undefined;
    const awaits = this.awaitsIn(right);
    for (const r of reads) {
      for (const a of awaits) if (this.evaluatedBefore(r, a)) return this.race('update', target, spanOf(r), spanOf(a), stmt);
    }
    return undefined;
  }

  private stale(right: Node, stmt: Node, target: Target): AwaitRace | undefined {
    const seen = new Set<string>();
    for (const id of right.descendantsOfType('identifier')) {
      if (!id || !this.isValueName(id) || !this.inScope(id)) continue;
      const name = this.text.slice(id.startIndex, id.endIndex);
      if (seen.has(name) || (target.ref.kind === 'variable' && name === target.chain)) continue;
      seen.add(name);
      if (!this.isOwnLocal(name)) continue;
      const def = this.reachingDefinition(stmt, name);
      if (!def) continue;
      const read = this.readsIn(def.value, target)[0];
      if (!read) continue;
      // `old = self.state; …; self.state = old` restores a saved value: no update is lost
      if (same(read, def.value) && right.type === 'identifier') continue;
      const inDefinition = this.awaitsIn(def.value).find((x) => this.evaluatedBefore(read, x));
      const a = inDefinition ? spanOf(inDefinition) : this.awaitOnPath(def.block, def.statement, stmt, right);
      if (a) return this.race('stale', target, spanOf(read), a, stmt);
    }
    return undefined;
  }

  private check(right: Node, stmt: Node, target: Target): AwaitRace | undefined {
    const test = this.nearestTest(stmt, target);
    if (!test) return undefined;
    const inTest = test.decides ? this.awaitsIn(test.condition).find((x) => this.evaluatedBefore(test.read, x)) : undefined;
    const a = inTest ? spanOf(inTest) : this.awaitOnPath(test.block, test.after, stmt, right);
    return a ? this.race('check', target, spanOf(test.condition), a, stmt) : undefined;
  }

  private race(pattern: AwaitRace['pattern'], target: Target, read: Span, a: Span, stmt: Node): AwaitRace {
    return { pattern, state: target.ref, scope: this.id, read, await: a, write: spanOf(stmt) };
  }

  // ---- what is state ----

  private targetOf(left: Node): Target | undefined {
    const { text } = this;
    if (left.type === 'identifier') {
      const name = text.slice(left.startIndex, left.endIndex);
      // without `global`, assigning makes the name local
      if (!this.scope.globals?.has(name)) return undefined;
      return { ref: { kind: 'variable', owner: 'module', key: name, written: name }, chain: name, index: undefined };
    }
    if (left.type === 'attribute') {
      const parts = this.chainOf(left);
      const root = parts && parts.length >= 2 ? this.rootOf(parts) : undefined;
      if (!parts || !root) return undefined;
      const chain = parts.join('.');
      return { ref: { kind: 'attribute', owner: root.owner, key: root.key, written: text.slice(left.startIndex, left.endIndex) }, chain, index: undefined };
    }
    if (left.type === 'subscript') {
      const value = left.childForFieldName('value');
      const parts = value ? this.chainOf(value) : undefined;
      const root = parts ? this.rootOf(parts) : undefined;
      const index = this.indexOf(left);
      if (!parts || !root || index === undefined) return undefined;
      return {
        ref: { kind: 'element', owner: root.owner, key: `${root.key}[]`, written: text.slice(left.startIndex, left.endIndex) },
        chain: parts.join('.'),
        index,
      };
    }
    return undefined;
  }

  /** `a.b.c` as its names; undefined for anything but names and attributes. */
  private chainOf(n: Node): string[] | undefined {
    if (n.type === 'identifier') return [this.text.slice(n.startIndex, n.endIndex)];
    if (n.type !== 'attribute') return undefined;
    const object = n.childForFieldName('object');
    const attr = n.childForFieldName('attribute');
    const head = object ? this.chainOf(object) : undefined;
    if (!head || !attr) return undefined;
    head.push(this.text.slice(attr.startIndex, attr.endIndex));
    return head;
  }

  /** The state a chain starts from: `self` of a method (instance) or a module-level name. */
  private rootOf(parts: readonly string[]): { owner: StateRef['owner']; key: string } | undefined {
    const first = parts[0];
    const m = this.built.resolver.meaning(first, this.id);
    if (m.k === 'self') {
      if (parts.length < 2) return undefined;
      const cls = this.built.scopes[m.cls]?.name ?? '?';
      const rest = parts.slice(1).join('.');
      // a classmethod's `cls.x` is one per class, like an attribute of a module-level object
      return this.inClassmethod(m.cls) ? { owner: 'module', key: `${cls}.${rest}` } : { owner: 'instance', key: `${cls}.self.${rest}` };
    }
    return this.isModuleName(first) ? { owner: 'module', key: parts.join('.') } : undefined;
  }

  /** Is the method of class `cls` that this function is (or is nested in) a classmethod? */
  private inClassmethod(cls: number): boolean {
    const { table } = this.built;
    for (let s = this.scope; s.parent !== undefined; s = table.get(s.parent)) {
      if (s.parent !== cls) continue;
      for (let end = this.text.lastIndexOf('\n', s.start - 1); end > 0; ) {
        const start = this.text.lastIndexOf('\n', end - 1) + 1;
        const line = this.text.slice(start, end).trim();
        if (!line.startsWith('@')) return false;
        if (/^@\s*classmethod\b/.test(line)) return true;
        end = start - 1;
      }
      return false;
    }
    return false;
  }

  /** A name that, read here, is the module's: `global` in a function on the way, or bound nowhere closer. */
  private isModuleName(name: string): boolean {
    const { table } = this.built;
    for (let s = this.scope; ; ) {
      if (s.kind !== 'class' || s.id === this.id) {
        if (s.globals?.has(name)) return true;
        if (s.kind === 'module') return s.names.has(name);
        if (s.names.has(name)) return false;
      }
      if (s.parent === undefined) return false;
      s = table.get(s.parent);
    }
  }

  /** A local of this function (parameters included), not a global or a closure's. */
  private isOwnLocal(name: string): boolean {
    return this.scope.names.has(name) && !this.scope.globals?.has(name);
  }

  /** The subscript's entry as written, spaces dropped (kept inside string literals). */
  private indexOf(sub: Node): string | undefined {
    const value = sub.childForFieldName('value');
    if (!value) return undefined;
    const open = this.text.indexOf('[', value.endIndex);
    if (open < 0 || open >= sub.endIndex) return undefined;
    return this.normalize(open + 1, sub.endIndex - 1);
  }

  private normalize(start: number, end: number): string {
    const raw = this.text.slice(start, end);
    return /["'#]/.test(raw) ? raw.trim() : raw.replace(/\s+|\\/g, '');
  }

  // ---- reads and awaits in an expression ----

  private inScope(n: Node): boolean {
    return this.built.table.evaluatingAt(n.startIndex).id === this.id;
  }

  /** An identifier that is a value, not an attribute name or a keyword argument's name. */
  private isValueName(id: Node): boolean {
    // a zero-width identifier is one the parser inserted (MISSING) in a broken file: no name, and
    // Node.parent of a zero-width node is what corrupts tree-sitter's WASM memory (tree.ts)
    if (id.startIndex === id.endIndex) return false;
    const p = id.parent;
    if (!p) return true;
    if (p.type === 'attribute') return !same(p.childForFieldName('attribute'), id);
    if (p.type === 'keyword_argument') return !same(p.childForFieldName('name'), id);
    return true;
  }

  /** Reads of the target's state in `expr` (this function's code only), in source order. */
  private readsIn(expr: Node, target: Target): Node[] {
    const { text } = this;
    const out: Node[] = [];
    switch (target.ref.kind) {
      case 'variable':
        for (const id of expr.descendantsOfType('identifier')) {
          if (!id || text.slice(id.startIndex, id.endIndex) !== target.chain) continue;
          if (this.isValueName(id) && this.inScope(id) && !this.comprehensionBinds(id, expr, target.chain)) out.push(id);
        }
        return out;
      case 'attribute':
        for (const a of expr.descendantsOfType('attribute')) {
          if (!a || a.endIndex - a.startIndex < target.chain.length || !this.inScope(a)) continue;
          if (this.chainOf(a)?.join('.') === target.chain && !this.comprehensionBinds(a, expr, target.chain.split('.')[0])) out.push(a);
        }
        return out;
      default:
        for (const n of expr.descendantsOfType(['subscript', 'call', 'comparison_operator'])) {
          if (n && this.readsEntry(n, target) && this.inScope(n)) out.push(n);
        }
        return out;
    }
  }

  /** `cache[key]`, `cache.get(key…)`, `key in cache` / `key not in cache` for the target's entry. */
  private readsEntry(n: Node, target: Target): boolean {
    const isContainer = (c: Node | null) => !!c && this.chainOf(c)?.join('.') === target.chain;
    if (n.type === 'subscript') return isContainer(n.childForFieldName('value')) && this.indexOf(n) === target.index;
    if (n.type === 'call') {
      const f = n.childForFieldName('function');
      const args = n.childForFieldName('arguments');
      if (!f || f.type !== 'attribute' || !args || args.type !== 'argument_list') return false;
      const method = f.childForFieldName('attribute');
      if (!method || !ENTRY_READERS.has(this.text.slice(method.startIndex, method.endIndex))) return false;
      const first = args.namedChild(0);
      return isContainer(f.childForFieldName('object')) && !!first && first.type !== 'keyword_argument' && this.normalize(first.startIndex, first.endIndex) === target.index;
    }
    // comparison: exactly `<key> in <container>` / `<key> not in <container>`
    if (n.namedChildCount !== 2) return false;
    const ops = n.childrenForFieldName('operators');
    const op = ops.length === 1 ? ops[0] : null;
    if (!op || (op.type !== 'in' && op.type !== 'not in')) return false;
    const key = n.namedChild(0);
    return !!key && this.normalize(key.startIndex, key.endIndex) === target.index && isContainer(n.namedChild(1));
  }

  /** `[x for x in xs]`: inside it, `x` is the comprehension's own variable. */
  private comprehensionBinds(n: Node, top: Node, name: string): boolean {
    const word = new RegExp(`(?<![\\w.])${name}(?!\\w)`, 'u');
    for (let p = n.parent; p && !same(p, top.parent); p = p.parent) {
      if (!COMPREHENSIONS.has(p.type)) continue;
      for (const clause of p.namedChildren) {
        if (clause?.type !== 'for_in_clause') continue;
        const left = clause.childForFieldName('left');
        if (left && word.test(this.text.slice(left.startIndex, left.endIndex))) return true;
      }
    }
    return false;
  }

  /** `await` expressions in `expr` that this function evaluates, in source order. */
  private awaitsIn(expr: Node): Node[] {
    const out: Node[] = [];
    for (const a of expr.descendantsOfType('await')) if (a && a.isNamed && this.inScope(a)) out.push(a);
    return out;
  }

  /** The first await in `expr` that runs whenever `expr` does (not behind `and`/`or`, a conditional, a comprehension). */
  private certainAwaitIn(expr: Node | null): Node | undefined {
    if (!expr) return undefined;
    return this.awaitsIn(expr).find((a) => this.unconditional(a, expr));
  }

  private unconditional(a: Node, top: Node): boolean {
    for (let n = a; !same(n, top); ) {
      const p: Node | null = n.parent;
      if (!p) return false;
      if (p.type === 'boolean_operator' && same(p.childForFieldName('right'), n)) return false;
      if (p.type === 'conditional_expression' && !same(p.namedChild(1), n)) return false;
      if (COMPREHENSIONS.has(p.type) || p.type === 'lambda') return false;
      n = p;
    }
    return true;
  }

  /**
   * Is `r` evaluated before the await `a` suspends? Inside its operand (`await g(x)`), or before it
   * in the text — except in a conditional expression, whose condition runs before either branch.
   */
  private evaluatedBefore(r: Node, a: Node): boolean {
    if (a.startIndex <= r.startIndex && r.endIndex <= a.endIndex) return true;
    let lca: Node | null = a.parent;
    while (lca && !(lca.startIndex <= r.startIndex && r.endIndex <= lca.endIndex)) lca = lca.parent;
    if (lca && lca.type === 'conditional_expression') {
      const part = (x: Node) => {
        for (let i = 0; i < 3; i++) {
          const c = lca.namedChild(i);
          if (c && c.startIndex <= x.startIndex && x.endIndex <= c.endIndex) return i;
        }
        return -1;
      };
      // `body if condition else alternative`: the condition runs first; the branches exclude each other
      return part(r) === 1;
    }
    return r.endIndex <= a.startIndex;
  }

  // ---- execution order between statements ----

  /**
   * The assignment `name = …` that the statement `stmt` certainly sees: an earlier statement of a block
   * on the way up from `stmt`, with no other binding of `name` in between (nor anywhere in a loop
   * entered on the way down, whose next pass would see that binding).
   */
  private reachingDefinition(stmt: Node, name: string): { statement: Node; block: Node; value: Node } | undefined {
    let loopEnd = -1;
    for (let node = stmt; ; ) {
      const block = node.parent;
      if (!block || block.type !== 'block') return undefined;
      for (let s = node.previousNamedSibling; s; s = s.previousNamedSibling) {
        const value = this.simpleDefinition(s, name);
        if (!value) continue;
        const end = Math.max(stmt.startIndex, loopEnd);
        return this.bindsBetween(name, s.endIndex, end) ? undefined : { statement: s, block, value };
      }
      const owner = block.parent;
      if (!owner || same(owner, this.fn) || owner.type === 'case_clause') return undefined;
      const next = CLAUSES.has(owner.type) ? owner.parent : owner;
      if (!next) return undefined;
      if (next.type === 'for_statement' || next.type === 'while_statement') loopEnd = Math.max(loopEnd, next.endIndex);
      node = next;
    }
  }

  /** `name = <value>` (or `name: T = <value>`) as a whole statement: its value. */
  private simpleDefinition(s: Node, name: string): Node | undefined {
    if (s.type !== 'expression_statement' || s.namedChildCount !== 1) return undefined;
    const a = s.namedChild(0);
    if (!a || a.type !== 'assignment') return undefined;
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (!left || !right || left.type !== 'identifier' || right.type === 'assignment') return undefined;
    return this.text.slice(left.startIndex, left.endIndex) === name ? right : undefined;
  }

  /** Is `name` bound (assigned, a loop/with/except target, deleted, …) by this function in `[start, end)`? */
  private bindsBetween(name: string, start: number, end: number): boolean {
    const { text } = this;
    const root = this.fn;
    for (let i = text.indexOf(name, start); i >= 0 && i < end; i = text.indexOf(name, i + name.length)) {
      const n = root.descendantForIndex(i, i + name.length);
      if (!n || n.type !== 'identifier' || n.startIndex !== i || n.endIndex !== i + name.length || !this.inScope(n)) continue;
      if (this.isBinding(n)) return true;
    }
    return false;
  }

  private isBinding(id: Node): boolean {
    let n = id;
    for (let p = n.parent; p; n = p, p = p.parent) {
      switch (p.type) {
        case 'pattern_list':
        case 'tuple_pattern':
        case 'list_pattern':
        case 'list_splat_pattern':
        case 'parenthesized_expression':
        case 'expression_list':
        case 'tuple':
        case 'list':
          continue;
        case 'assignment':
        case 'augmented_assignment':
        case 'for_statement':
          return same(p.childForFieldName('left'), n);
        case 'named_expression':
          return same(p.childForFieldName('name'), n);
        case 'as_pattern_target':
        case 'delete_statement':
        case 'global_statement':
        case 'nonlocal_statement':
        case 'dotted_name':
        case 'aliased_import':
          return true;
        case 'function_definition':
        case 'class_definition':
          return same(p.childForFieldName('name'), n);
        default:
          return false;
      }
    }
    return false;
  }

  /**
   * The first await that certainly runs on the way from `after` (a statement of `block`; undefined: the
   * block's start) down to the statement `stmt`, then in the write's own value.
   */
  private awaitOnPath(block: Node, after: Node | undefined, stmt: Node, value: Node): Span | undefined {
    const steps = this.pathFrom(block, stmt);
    if (!steps) return undefined;
    for (let i = 0; i < steps.length; i++) {
      const { child } = steps[i];
      let s = i === 0 && after ? after.nextNamedSibling : steps[i].block.firstNamedChild;
      for (; s && !same(s, child); s = s.nextNamedSibling) {
        const a = this.certainAwaitOf(s);
        if (a) return a;
      }
      if (i + 1 < steps.length) {
        const a = this.headerAwait(child, steps[i + 1].block);
        if (a) return a;
      }
    }
    const a = this.awaitsIn(value)[0];
    return a ? spanOf(a) : undefined;
  }

  /** The blocks and the statement in each that lead from `top` down to `stmt`; undefined when `stmt` is not under `top`. */
  private pathFrom(top: Node, stmt: Node): Array<{ block: Node; child: Node }> | undefined {
    const steps: Array<{ block: Node; child: Node }> = [];
    for (let node = stmt; ; ) {
      const block = node.parent;
      if (!block || block.type !== 'block') return undefined;
      steps.push({ block, child: node });
      if (same(block, top)) return steps.reverse();
      const owner = block.parent;
      if (!owner || same(owner, this.fn) || owner.type === 'case_clause') return undefined;
      const next = CLAUSES.has(owner.type) ? owner.parent : owner;
      if (!next) return undefined;
      node = next;
    }
  }

  /** An await that runs whenever statement `s` runs to its end, or undefined. */
  private certainAwaitOf(s: Node): Span | undefined {
    switch (s.type) {
      case 'with_statement': {
        if (isAsync(s)) return this.head(s);
        const a = this.certainAwaitIn(s.namedChildren.find((c) => c?.type === 'with_clause') ?? null);
        if (a) return spanOf(a);
        return this.certainAwaitInBlock(s.childForFieldName('body'));
      }
      case 'for_statement': {
        if (isAsync(s)) return this.head(s);
        const a = this.certainAwaitIn(s.childForFieldName('right'));
        return a ? spanOf(a) : undefined;
      }
      case 'while_statement':
      case 'if_statement': {
        const a = this.certainAwaitIn(s.childForFieldName('condition'));
        return a ? spanOf(a) : undefined;
      }
      case 'try_statement':
        return this.certainAwaitInBlock(s.childForFieldName('body'));
      case 'match_statement': {
        const a = this.certainAwaitIn(s.childForFieldName('subject'));
        return a ? spanOf(a) : undefined;
      }
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition':
      case 'comment':
        return undefined;
      default: {
        const a = this.certainAwaitIn(s);
        return a ? spanOf(a) : undefined;
      }
    }
  }

  private certainAwaitInBlock(block: Node | null): Span | undefined {
    for (let s = block?.firstNamedChild ?? null; s; s = s.nextNamedSibling) {
      const a = this.certainAwaitOf(s);
      if (a) return a;
      if (EXITS.has(s.type)) return undefined;
    }
    return undefined;
  }

  /** An await in the part of compound statement `c` that runs before its block `inner`: conditions, iterables, `async` heads. */
  private headerAwait(c: Node, inner: Node): Span | undefined {
    if (isAsync(c) && (c.type === 'with_statement' ? same(c.childForFieldName('body'), inner) : c.type === 'for_statement')) return this.head(c);
    for (const a of this.awaitsIn(c)) {
      if (a.startIndex >= inner.startIndex) break;
      let inBlock = false;
      for (let p = a.parent; p && !same(p, c); p = p.parent) if (p.type === 'block') inBlock = true;
      if (!inBlock && this.unconditional(a, c)) return spanOf(a);
    }
    return undefined;
  }

  /** `async with a as b` / `async for x in xs`: from `async` to the end of the header. */
  private head(s: Node): Span {
    const last = s.type === 'for_statement' ? s.childForFieldName('right') : s.namedChildren.find((c) => c?.type === 'with_clause');
    return { start: s.startIndex, end: last?.endIndex ?? s.startIndex + 5 };
  }

  /**
   * The nearest test of the target's state that decides whether `stmt` runs: an `if`/`elif` whose body
   * holds it, or an earlier `if` without branches that leaves the block.
   */
  private nearestTest(
    stmt: Node,
    target: Target,
  ): { condition: Node; read: Node; block: Node; after: Node | undefined; decides: boolean } | undefined {
    for (let node = stmt; ; ) {
      const block = node.parent;
      if (!block || block.type !== 'block') return undefined;
      for (let s = node.previousNamedSibling; s; s = s.previousNamedSibling) {
        if (!this.leavesBlock(s) || this.writesIn(s.childForFieldName('consequence'), target)) continue;
        const condition = s.childForFieldName('condition');
        const read = condition ? this.readsIn(condition, target)[0] : undefined;
        if (condition && read) return { condition, read, block, after: s, decides: false };
      }
      const owner = block.parent;
      if (!owner || same(owner, this.fn) || owner.type === 'case_clause') return undefined;
      if ((owner.type === 'if_statement' || owner.type === 'elif_clause') && same(owner.childForFieldName('consequence'), block)) {
        const condition = owner.childForFieldName('condition');
        const read = condition ? this.readsIn(condition, target)[0] : undefined;
        if (condition && read) return { condition, read, block, after: undefined, decides: true };
      }
      const next = CLAUSES.has(owner.type) ? owner.parent : owner;
      if (!next) return undefined;
      node = next;
    }
  }

  /**
   * Does `block` write the target's state? An early exit that sets the state itself (`if not
   * self._locked: self._locked = True; return`) is the fast path of a hand-off — a lock's acquire —
   * whose slow path awaits the state being handed over: not a check that goes stale.
   */
  private writesIn(block: Node | null, target: Target): boolean {
    if (!block) return false;
    for (const w of block.descendantsOfType(['assignment', 'augmented_assignment'])) {
      const left = w && this.inScope(w) ? w.childForFieldName('left') : null;
      const other = left ? this.targetOf(left) : undefined;
      if (other && other.ref.key === target.ref.key && other.index === target.index) return true;
    }
    return false;
  }

  /** `if <test>: … return` with no elif/else: the code after it runs only when the test failed. */
  private leavesBlock(s: Node): boolean {
    if (s.type !== 'if_statement' || s.childrenForFieldName('alternative').length > 0) return false;
    let last = s.childForFieldName('consequence')?.lastNamedChild ?? null;
    while (last && last.type === 'comment') last = last.previousNamedSibling;
    return !!last && EXITS.has(last.type);
  }
}
