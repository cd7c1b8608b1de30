// unsynchronized-shared-state, JS/TS side of the model: plain element writes to typed arrays over a
// SharedArrayBuffer that another thread can touch (StateWrite, owner `shared-memory`).
//
// Works on the walk's records (calls with their lexical scopes, every assignment and `++`/`--` in
// WalkResult.writes) and the front end's name resolution; the syntax tree is only read under nodes the
// walk handed us, never walked again. Files that build no typed array (`new Int32Array(…)` & co among
// their calls) or mention none of `SharedArrayBuffer`, `workerData`, `Atomics` are not looked at.
//
// What is shared memory:
// - a `new SharedArrayBuffer(…)` made in this file (bound to a `const`/`let` assigned once, or inline),
//   when it is handed to another thread: it (or a typed array over it, or `view.buffer`) appears in the
//   options of `new Worker(…)` from `worker_threads`, or in the first argument of any `x.postMessage(…)`
//   — directly, inside object or array literals, or through a variable bound to such a literal;
// - in worker code: `workerData` of `worker_threads` and what is below it (`workerData.buf`,
//   `const { buf } = workerData`), and the parameter(s) of a `parentPort.on/once('message', fn)` handler
//   and what is below them. A property whose name says it is a number (`length`, `size`, `count`, `n`,
//   `*Length`, …) is not a buffer: `new Int32Array(workerData.size)` makes a fresh array;
// - a typed array built over one of those: `new Int32Array(buf)`, `new Int32Array(buf, offset, length)`,
//   bound to a `const`/`let` that is never reassigned to something else (or a `let` assigned exactly once,
//   e.g. inside the message handler). `new Int32Array(otherTypedArray)` copies and is not shared, and a
//   value received as is (`const counts = workerData.counts`) is not known to be a typed array: neither
//   is recorded.
//
// Which writes are recorded (`a[i] = v` store; `a[i]++`, `a[i] += v`, `a[i] = a[i] + v`, … update):
// - arrays over a buffer made here: writes after the buffer was handed over — later in the function
//   that hands it over (by position), or in a function that runs later: an event-loop callback
//   (listener, timer, `.then`); a function of this file called after the hand-over in the function that
//   makes it, or from a function that runs later (up to three calls deep); an async function that
//   nothing in this file calls (exported: called once the module has started its workers). An async
//   function called only before the hand-over is initialisation. Writes in a function we cannot place
//   in time (a plain function nobody here calls, a constructor) are not recorded. In a worker file every
//   scope is `offloaded`, so only the by-position rule applies there.
// - views held elsewhere than in a variable (`this.counts`, `state.view`) are not followed.
// - arrays received from another thread: every write, except provably disjoint per-worker writes, when
//   no write to the same array in the file overlaps other workers:
//   * the index is a per-worker identity: `threadId`, or `workerData.<name>` (also destructured) with
//     <name> one of index, idx, id, slot, rank, partition, shard, workerId/Index/Idx/No/Number,
//     threadIndex/Idx/No/Number;
//   * the index is the variable of `for (let i = S; i < E; i++ | ++i | i += 1 | i = i + 1)` that the body
//     never assigns, where S and E are computed from per-worker values (workerData's properties, the
//     message's fields) with arithmetic, `Math.*`, constants and `const` locals.
//   An index that otherwise depends on per-worker values (`out[workerData.offset + i]`), on a function's
//   parameter (its callers decide), or — for a plain store — on per-worker data (`for (const i of
//   workerData.indices) out[i] = …`) may well be disjoint: not recorded. An update indexed by per-worker
//   data (`for (const x of workerData.data) hist[x]++`) overlaps other workers: recorded.
// - hand-rolled synchronisation: no write is recorded in a function that waits, notifies or swaps
//   (`Atomics.wait`/`waitAsync`/`notify`/`compareExchange`/`exchange`) or calls something named like a lock
//   (`lock()`, `mutex.acquire()`, `spinLock(l)`, `release()`), nor in a callback handed to such a call
//   (`withLock(() => …)`), nor in the functions that a function which swaps or locks calls directly:
//   those writes are probably inside a critical section. A plain store in a function that also
//   publishes through another `Atomics` write (`data[i] = v; Atomics.store(ctrl, 0, i)`) is the
//   standard hand-off and is not recorded; updates there are.
// `Atomics.*` calls themselves are never writes.

import ts from 'typescript';
import type { FunctionScope, StateWrite } from '../../engine/model';
import { lookup, resolveBinding, resolveExpression, skipOuter, isStringLike, type Binding, type LexScope, type Target } from './bindings';
import { patternNames, type LoopSite } from './loops';
import type { CallSite, WalkResult, WriteSite } from './walker';

const SK = ts.SyntaxKind;
const NF = ts.NodeFlags;

interface ElementType {
  atomics: boolean;
  bigint: boolean;
}

const INTEGER: ElementType = { atomics: true, bigint: false };
const BIGINT: ElementType = { atomics: true, bigint: true };
const NO_ATOMICS: ElementType = { atomics: false, bigint: false };
const TYPED_ARRAYS: ReadonlyMap<string, ElementType> = new Map([
  ['Int8Array', INTEGER], ['Uint8Array', INTEGER], ['Int16Array', INTEGER], ['Uint16Array', INTEGER],
  ['Int32Array', INTEGER], ['Uint32Array', INTEGER], ['BigInt64Array', BIGINT], ['BigUint64Array', BIGINT],
  ['Uint8ClampedArray', NO_ATOMICS], ['Float16Array', NO_ATOMICS], ['Float32Array', NO_ATOMICS], ['Float64Array', NO_ATOMICS],
]);

/** Received values whose name says they are a number, not a buffer. */
const COUNT_LIKE = /^(?:length|size|count|len|n|num|total|capacity|byteLength|byteOffset|offset|\w*(?:Length|Size|Count|Len|Offset))$/;
/** `workerData.<name>` that identifies the worker (distinct per worker by construction). */
const IDENTITY = /^(?:index|idx|id|slot|rank|partition|shard|worker(?:Id|Index|Idx|No|Number)|thread(?:Index|Idx|No|Number))$/;
/** Callee names (last segment) of hand-rolled locks. `clock()`/`block()` do not match. */
const LOCK_CALL = /^(?:(?:try)?[lL]ock|unlock|acquire|release|withLock|runExclusive|synchronized)\w*$|(?:Lock|Mutex|Semaphore)$/;
const ATOMICS_SYNC = new Set(['wait', 'waitAsync', 'notify', 'compareExchange', 'exchange']);
const ATOMICS_WRITE = new Set(['store', 'add', 'sub', 'and', 'or', 'xor']);
const LISTEN = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);

/** What the fixer needs about a recorded write (kept per StateWrite: the model is thrown away with it). */
export interface SharedWriteSite {
  node: WriteSite['node'];
  /** the element written, parentheses skipped */
  target: ts.ElementAccessExpression;
  lex: LexScope;
  /** the value is unused: the write is a whole expression statement */
  statement: boolean;
  /** the typed array's binding */
  array: Binding;
  bigint: boolean;
}

const sites = new WeakMap<StateWrite, SharedWriteSite>();

export function sharedWriteSite(write: StateWrite): SharedWriteSite | undefined {
  return sites.get(write);
}

interface View {
  type: ElementType;
  /** the SharedArrayBuffer made in this file, or undefined when the memory came from another thread */
  buffer: ts.Node | undefined;
}

type Origin =
  | { kind: 'buffer'; node: ts.Node }
  | { kind: 'received'; path: readonly string[] }
  | { kind: 'view'; view: View };

/** bit flags of what a value is computed from (worker side) */
const PER_WORKER = 1; // a per-worker scalar: workerData.start, a message's field
const DATA = 2; // read from per-worker data: an element of a workerData array, a for-of variable over it
const UNKNOWN = 4; // a parameter: the callers decide

const MAX_DEPTH = 24;

function sourceOf(sf: ts.SourceFile, node: ts.Node): string {
  return sf.text.slice(node.getStart(sf), node.end);
}

/** Same element: the same array binding and the same index as written (whitespace aside). */
export function isSameElement(site: SharedWriteSite, sf: ts.SourceFile, e: ts.Expression): boolean {
  const x = skipOuter(e);
  if (x.kind !== SK.ElementAccessExpression) return false;
  const ea = x as ts.ElementAccessExpression;
  const obj = skipOuter(ea.expression);
  if (obj.kind !== SK.Identifier || lookup(site.lex, (obj as ts.Identifier).text) !== site.array) return false;
  const squash = (n: ts.Node) => sourceOf(sf, n).replace(/\s+/g, '');
  return squash(ea.argumentExpression) === squash(site.target.argumentExpression);
}

/** Any read of the written element in `node`, not looking into nested functions. */
export function readsElement(site: SharedWriteSite, sf: ts.SourceFile, node: ts.Node, depth = 0): boolean {
  if (depth > 200) return false;
  if (node.kind === SK.ElementAccessExpression && isSameElement(site, sf, node as ts.Expression)) return true;
  if (node.kind === SK.ArrowFunction || node.kind === SK.FunctionExpression) return false;
  return ts.forEachChild(node, (c) => (readsElement(site, sf, c, depth + 1) ? true : undefined)) === true;
}

/** The offset of the next token at or after `pos` (whitespace and comments skipped). */
export function skipTrivia(src: string, pos: number): number {
  let i = pos;
  while (i < src.length) {
    const ch = src.charCodeAt(i);
    if (ch === 32 || ch === 9 || ch === 10 || ch === 13 || ch === 11 || ch === 12 || ch === 0xa0 || ch === 0xfeff || ch === 0x2028 || ch === 0x2029) i++;
    else if (ch === 47 /* / */ && src.charCodeAt(i + 1) === 47) {
      while (i < src.length && src.charCodeAt(i) !== 10 && src.charCodeAt(i) !== 13) i++;
    } else if (ch === 47 && src.charCodeAt(i + 1) === 42 /* * */) {
      const close = src.indexOf('*/', i + 2);
      i = close < 0 ? src.length : close + 2;
    } else break;
  }
  return i;
}

function isWorkerThreads(t: Target | undefined, first: string): t is Target {
  return t !== undefined && t.kind === 'module' && t.root === 'worker_threads' && t.path[0] === first;
}

function propertyName(e: ts.Expression): string | undefined {
  if (e.kind === SK.PropertyAccessExpression) return (e as ts.PropertyAccessExpression).name.text;
  if (e.kind === SK.ElementAccessExpression) {
    const arg = (e as ts.ElementAccessExpression).argumentExpression;
    return isStringLike(arg) ? arg.text : '[]';
  }
  return undefined;
}

function isFunctionNode(n: ts.Node): n is ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration {
  return n.kind === SK.ArrowFunction || n.kind === SK.FunctionExpression || n.kind === SK.FunctionDeclaration;
}

function functionLexOf(lex: LexScope): LexScope {
  let l = lex;
  while (!l.isFunction && l.parent) l = l.parent;
  return l;
}

class SharedMemoryPass {
  /** `new SharedArrayBuffer(…)` nodes */
  private readonly buffers = new Set<ts.Node>();
  /** typed arrays built over shared memory, by their `new` node */
  private readonly views = new Map<ts.Node, View>();
  /** `x = value` per binding; `null` marks a compound assignment or `++`/`--` */
  private readonly assigned = new Map<Binding, Array<{ value: ts.Expression; lex: LexScope } | null>>();
  private readonly messageParams = new Set<Binding>();
  private readonly origins = new Map<Binding, Origin | null>();
  /** memo of bindingFlags */
  private readonly flags = new Map<Binding, number>();
  /** where each buffer made here is handed to another thread */
  private readonly handOvers = new Map<ts.Node, CallSite[]>();
  /** scopes whose body runs like their parent's: inline callbacks and array-method callbacks */
  private readonly inlineLike = new Set<number>();
  private readonly scopes: readonly FunctionScope[];

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly walk: WalkResult,
  ) {
    this.scopes = walk.scopes;
  }

  run(): StateWrite[] {
    const walk = this.walk;
    for (const s of walk.scopes) if (s.kind === 'inline') this.inlineLike.add(s.id);
    for (const l of walk.loops) if (l.loop.bodyScope !== undefined) this.inlineLike.add(l.loop.bodyScope);
    for (const site of walk.sites) {
      if (site.call.isNew && site.call.name === 'SharedArrayBuffer') this.buffers.add(site.node);
    }
    for (const w of walk.writes) {
      const t = skipOuter(w.target);
      if (t.kind !== SK.Identifier) continue;
      const b = lookup(w.lex, (t as ts.Identifier).text);
      if (!b) continue;
      const list = this.assigned.get(b) ?? [];
      const n = w.node;
      list.push(n.kind === SK.BinaryExpression && n.operatorToken.kind === SK.EqualsToken ? { value: n.right, lex: w.lex } : null);
      this.assigned.set(b, list);
    }
    this.findMessageHandlers();
    this.findViews();
    if (this.views.size === 0) return [];
    // origins asked for while views were still being found may have missed a later one
    this.origins.clear();
    this.findHandOvers();
    return this.collectWrites();
  }

  /** The effective function of a scope: inline and array-method callbacks run as part of their parent. */
  private fnOf(scopeId: number): number {
    let id = scopeId;
    while (this.inlineLike.has(id) && this.scopes[id].parent !== undefined) id = this.scopes[id].parent as number;
    return id;
  }

  // ---- what is shared memory ----

  /** `parentPort.on('message', (msg) => …)`: the handler's parameters hold another thread's data. */
  private findMessageHandlers(): void {
    const walk = this.walk;
    for (const site of walk.sites) {
      const node = site.node;
      if (site.call.isNew || !node.arguments || node.arguments.length < 2) continue;
      const callee = skipOuter(node.expression);
      if (callee.kind !== SK.PropertyAccessExpression || !LISTEN.has((callee as ts.PropertyAccessExpression).name.text)) continue;
      const event = skipOuter(node.arguments[0]);
      if (!isStringLike(event) || event.text !== 'message') continue;
      if (!isWorkerThreads(resolveExpression((callee as ts.PropertyAccessExpression).expression, site.lex), 'parentPort')) continue;
      let fn: ts.Node | undefined = skipOuter(node.arguments[1]);
      if (fn.kind === SK.Identifier) fn = lookup(site.lex, (fn as ts.Identifier).text)?.fn;
      if (!fn || !isFunctionNode(fn)) continue;
      const scopeId = walk.pending.find((p) => p.fn === fn)?.scope.id ?? walk.fnScopeIds.get(fn);
      if (scopeId === undefined) continue;
      // the handler's own lexical scope, found through anything evaluated directly in it
      const inside = walk.sites.find((s) => s.call.scope === scopeId)?.lex ?? walk.writes.find((w) => w.scope === scopeId)?.lex;
      if (!inside) continue;
      const fnLex = functionLexOf(inside);
      for (const p of fn.parameters) {
        for (const name of patternNames(p.name, [])) {
          const b = fnLex.names?.get(name);
          if (b && b.kind === 'param') this.messageParams.add(b);
        }
      }
    }
  }

  private findViews(): void {
    for (const site of this.walk.sites) {
      const node = site.node;
      if (!site.call.isNew || !node.arguments || node.arguments.length === 0) continue;
      const callee = skipOuter(node.expression);
      if (callee.kind !== SK.Identifier) continue;
      const type = TYPED_ARRAYS.get((callee as ts.Identifier).text);
      if (!type || lookup(site.lex, (callee as ts.Identifier).text)) continue;
      const arg = node.arguments[0];
      if (arg.kind === SK.SpreadElement) continue;
      const o = this.origin(arg, site.lex, 0);
      if (!o) continue;
      if (o.kind === 'buffer') this.views.set(node, { type, buffer: o.node });
      else if (o.kind === 'received') {
        const last = o.path[o.path.length - 1];
        // `(buffer, byteOffset, length)` is a view whatever the names; a lone number makes a fresh array
        if (node.arguments.length >= 2 || last === undefined || !COUNT_LIKE.test(last)) this.views.set(node, { type, buffer: undefined });
      }
      // `new Int32Array(otherView)` copies: not shared
    }
  }

  /** Where an expression's value comes from, as far as shared memory goes. */
  private origin(expr: ts.Expression, lex: LexScope, depth: number): Origin | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const e = skipOuter(expr);
    switch (e.kind) {
      case SK.NewExpression: {
        if (this.buffers.has(e)) return { kind: 'buffer', node: e };
        const view = this.views.get(e);
        return view ? { kind: 'view', view } : undefined;
      }
      case SK.Identifier: {
        const b = lookup(lex, (e as ts.Identifier).text);
        return b ? this.bindingOrigin(b, depth + 1) : undefined;
      }
      case SK.PropertyAccessExpression:
      case SK.ElementAccessExpression: {
        const t = resolveExpression(e, lex);
        if (isWorkerThreads(t, 'workerData')) return { kind: 'received', path: t.path.slice(1) };
        const name = propertyName(e);
        const base = this.origin((e as ts.PropertyAccessExpression).expression, lex, depth + 1);
        if (!base || name === undefined) return undefined;
        return this.below(base, name);
      }
      default:
        return undefined;
    }
  }

  private below(base: Origin, name: string): Origin | undefined {
    if (base.kind === 'received') return { kind: 'received', path: [...base.path, name] };
    if (base.kind === 'view' && name === 'buffer') return base.view.buffer ? { kind: 'buffer', node: base.view.buffer } : { kind: 'received', path: [] };
    return undefined;
  }

  private bindingOrigin(b: Binding, depth: number): Origin | undefined {
    const memo = this.origins.get(b);
    if (memo !== undefined) return memo ?? undefined;
    this.origins.set(b, null); // cycles resolve to nothing
    let o: Origin | undefined;
    const t = b.kind === 'import' || b.kind === 'alias' ? resolveBinding(b) : undefined;
    const assigned = this.assigned.get(b);
    if (isWorkerThreads(t, 'workerData')) o = { kind: 'received', path: t.path.slice(1) };
    else if (this.messageParams.has(b)) o = { kind: 'received', path: [] };
    else if (b.kind === 'alias' && b.init && b.initScope && !assigned) {
      o = this.origin(b.init, b.initScope, depth + 1);
      for (const name of b.initPath ?? []) o = o && this.below(o, name);
    } else if (b.kind === 'local' && assigned?.length === 1 && assigned[0]) {
      // `let counts;` … `counts = new Int32Array(msg.buffer)`, assigned exactly once
      o = this.origin(assigned[0].value, assigned[0].lex, depth + 1);
    }
    this.origins.set(b, o ?? null);
    return o;
  }

  /** `new Worker(file, { workerData: … })` and `x.postMessage(…)` that carry a buffer made here. */
  private findHandOvers(): void {
    if (this.buffers.size === 0) return;
    for (const site of this.walk.sites) {
      const node = site.node;
      const args = node.arguments;
      if (!args || args.length === 0) continue;
      let carried: ts.Expression | undefined;
      if (site.call.isNew) {
        if (site.call.name === 'worker_threads.Worker') carried = args[1];
      } else {
        const callee = skipOuter(node.expression);
        if (callee.kind === SK.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).name.text === 'postMessage') carried = args[0];
      }
      if (!carried) continue;
      const found = new Set<ts.Node>();
      this.carriedBuffers(carried, site.lex, found, 0);
      for (const buffer of found) {
        const list = this.handOvers.get(buffer) ?? [];
        list.push(site);
        this.handOvers.set(buffer, list);
      }
    }
  }

  private carriedBuffers(expr: ts.Expression, lex: LexScope, out: Set<ts.Node>, depth: number): void {
    if (depth > 8) return;
    const e = skipOuter(expr);
    if (e.kind === SK.ObjectLiteralExpression) {
      for (const p of (e as ts.ObjectLiteralExpression).properties) {
        if (p.kind === SK.PropertyAssignment) this.carriedBuffers(p.initializer, lex, out, depth + 1);
        else if (p.kind === SK.ShorthandPropertyAssignment) this.carriedBuffers(p.name, lex, out, depth + 1);
        else if (p.kind === SK.SpreadAssignment) this.carriedBuffers(p.expression, lex, out, depth + 1);
      }
      return;
    }
    if (e.kind === SK.ArrayLiteralExpression) {
      for (const el of (e as ts.ArrayLiteralExpression).elements) {
        this.carriedBuffers(el.kind === SK.SpreadElement ? (el as ts.SpreadElement).expression : el, lex, out, depth + 1);
      }
      return;
    }
    if (e.kind === SK.Identifier) {
      // a variable bound to an object or array literal: `const data = { counts }; new Worker(f, { workerData: data })`
      const b = lookup(lex, (e as ts.Identifier).text);
      const init = b?.kind === 'alias' && b.init && b.initScope && !(b.initPath?.length) ? skipOuter(b.init) : undefined;
      if (init && (init.kind === SK.ObjectLiteralExpression || init.kind === SK.ArrayLiteralExpression)) {
        this.carriedBuffers(init, b!.initScope!, out, depth + 1);
        return;
      }
    }
    const o = this.origin(e, lex, 0);
    if (o?.kind === 'buffer') out.add(o.node);
    else if (o?.kind === 'view' && o.view.buffer) out.add(o.view.buffer);
  }

  // ---- which writes can race ----

  private collectWrites(): StateWrite[] {
    const sf = this.sf;
    const sync = this.synchronisedFunctions();
    interface Candidate {
      w: WriteSite;
      array: Binding;
      view: View;
      target: ts.ElementAccessExpression;
      op: StateWrite['op'];
      operator: string;
      disjoint: 'yes' | 'no' | 'unknown';
    }
    const candidates: Candidate[] = [];
    for (const w of this.walk.writes) {
      const target = skipOuter(w.target);
      if (target.kind !== SK.ElementAccessExpression) continue;
      const ea = target as ts.ElementAccessExpression;
      if (ea.questionDotToken) continue;
      const obj = skipOuter(ea.expression);
      if (obj.kind !== SK.Identifier) continue;
      const array = lookup(w.lex, (obj as ts.Identifier).text);
      if (!array) continue;
      const o = this.bindingOrigin(array, 0);
      if (o?.kind !== 'view') continue;
      const view = o.view;
      const node = w.node;
      let op: StateWrite['op'] = 'update';
      let operator: string;
      if (node.kind === SK.BinaryExpression) {
        operator = ts.tokenToString(node.operatorToken.kind) ?? '=';
        if (node.operatorToken.kind === SK.EqualsToken) {
          const probe: SharedWriteSite = { node, target: ea, lex: w.lex, statement: w.statement, array, bigint: view.type.bigint };
          if (!readsElement(probe, sf, node.right)) op = 'store';
        }
      } else {
        operator = node.operator === SK.PlusPlusToken ? '++' : '--';
      }
      const fn = this.fnOf(w.scope);
      const lock = sync.get(fn);
      if (lock === 'lock') continue;
      if (lock && op === 'store' && [...lock].some((a) => a !== array.name)) continue;
      let disjoint: Candidate['disjoint'] = 'no';
      if (view.buffer) {
        if (!this.afterHandOver(view.buffer, w)) continue;
      } else {
        disjoint = this.disjointness(ea.argumentExpression, w, op);
      }
      candidates.push({ w, array, view, target: ea, op, operator, disjoint });
    }
    // per-worker writes are disjoint only if no write to the same array overlaps other workers
    const overlapping = new Set<Binding>();
    for (const c of candidates) if (c.disjoint === 'no') overlapping.add(c.array);
    const out: StateWrite[] = [];
    for (const c of candidates) {
      if (c.disjoint === 'unknown' || (c.disjoint === 'yes' && !overlapping.has(c.array))) continue;
      const start = c.w.node.getStart(sf);
      let end = c.w.node.end;
      if (c.w.statement) {
        const next = skipTrivia(sf.text, end);
        if (sf.text.charCodeAt(next) === 59 /* ; */) end = next + 1;
      }
      const write: StateWrite = {
        span: { start, end },
        scope: c.w.scope,
        state: { kind: 'element', owner: 'shared-memory', key: `${c.array.name}[]`, written: sourceOf(sf, c.target) },
        op: c.op,
        operator: c.operator,
        atomics: c.view.type.atomics,
      };
      sites.set(write, { node: c.w.node, target: c.target, lex: c.w.lex, statement: c.w.statement, array: c.array, bigint: c.view.type.bigint });
      out.push(write);
    }
    out.sort((a, b) => a.span.start - b.span.start);
    return out;
  }

  /**
   * Functions with hand-rolled synchronisation: `lock` — waits, notifies, swaps or calls a lock, or is
   * the callback of a lock-named call (`withLock(() => …)`); the functions that a function which
   * acquires (swaps or calls a lock) calls directly are `lock` too. Otherwise: the arrays (as written)
   * the function writes with other `Atomics` calls, which publish its plain stores to other arrays.
   */
  private synchronisedFunctions(): Map<number, 'lock' | Set<string>> {
    const out = new Map<number, 'lock' | Set<string>>();
    const acquiring = new Set<number>();
    const { calls, sites, pending, fnScopeIds } = this.walk;
    let callbacks: Map<ts.Node, number> | undefined;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const fn = this.fnOf(c.scope);
      const name = c.name;
      if (name !== undefined && name.startsWith('Atomics.')) {
        const m = name.slice(8);
        const seen = out.get(fn);
        if (ATOMICS_SYNC.has(m)) {
          out.set(fn, 'lock');
          if (m === 'compareExchange' || m === 'exchange') acquiring.add(fn);
        } else if (ATOMICS_WRITE.has(m) && seen !== 'lock') {
          const first = sites[i].node.arguments?.[0];
          const array = first && skipOuter(first);
          const set = seen ?? new Set<string>();
          set.add(array && array.kind === SK.Identifier ? (array as ts.Identifier).text : '');
          out.set(fn, set);
        }
        continue;
      }
      if (c.isNew) continue;
      const last = c.written.slice(c.written.lastIndexOf('.') + 1).trim();
      if (!LOCK_CALL.test(last)) continue;
      out.set(fn, 'lock');
      acquiring.add(fn);
      // `withLock(() => { … })`, `mutex.runExclusive(fn)`: the callback runs with the lock held
      for (const arg of sites[i].node.arguments ?? []) {
        let f: ts.Node | undefined = skipOuter(arg);
        if (f.kind === SK.Identifier) f = lookup(sites[i].lex, (f as ts.Identifier).text)?.fn;
        if (!f) continue;
        if (!callbacks) {
          callbacks = new Map();
          for (const p of pending) callbacks.set(p.fn, p.scope.id);
        }
        const id = callbacks.get(f) ?? fnScopeIds.get(f);
        if (id !== undefined) out.set(this.fnOf(id), 'lock');
      }
    }
    for (const c of calls) {
      if (c.target !== undefined && acquiring.has(this.fnOf(c.scope))) out.set(this.fnOf(c.target), 'lock');
    }
    return out;
  }

  /** The write can run while a thread that got the buffer runs (see the module header). */
  private afterHandOver(buffer: ts.Node, w: WriteSite): boolean {
    const handOvers = this.handOvers.get(buffer);
    if (!handOvers) return false;
    const fn = this.fnOf(w.scope);
    const start = w.node.getStart(this.sf);
    for (const h of handOvers) if (this.fnOf(h.call.scope) === fn && start >= h.call.span.end) return true;
    return this.runsLater(fn, handOvers, 0);
  }

  private runsLater(fn: number, handOvers: readonly CallSite[], depth: number): boolean {
    const scope = this.scopes[fn];
    if (scope.kind === 'loop-callback') return true;
    if (depth > 3 || (scope.kind !== 'async' && scope.kind !== 'sync')) return false;
    let called = false;
    for (const c of this.walk.calls) {
      if (c.target !== fn) continue;
      called = true;
      const from = this.fnOf(c.scope);
      for (const h of handOvers) if (this.fnOf(h.call.scope) === from && c.span.start >= h.call.span.end) return true;
      if (from !== fn && this.runsLater(from, handOvers, depth + 1)) return true;
    }
    // an async function nobody here calls is called from elsewhere, after this module set up and shared
    return scope.kind === 'async' && !called;
  }

  /**
   * Worker side: `yes` — the index is provably per-worker; `unknown` — it depends on per-worker values
   * or parameters in a way we cannot decide; `no` — every worker can write the same element.
   */
  private disjointness(index: ts.Expression, w: WriteSite, op: StateWrite['op']): 'yes' | 'no' | 'unknown' {
    const e = skipOuter(index);
    const t = resolveExpression(e, w.lex);
    if (isWorkerThreads(t, 'threadId') && t.path.length === 1) return 'yes';
    if (isWorkerThreads(t, 'workerData') && t.path.length === 2 && IDENTITY.test(t.path[1])) return 'yes';
    if (e.kind === SK.Identifier) {
      const b = lookup(w.lex, (e as ts.Identifier).text);
      if (b && this.isPerWorkerRange(b, w)) return 'yes';
    }
    const flags = this.valueFlags(e, w.lex, 0);
    if (flags & (PER_WORKER | UNKNOWN)) return 'unknown';
    if (flags & DATA) return op === 'store' ? 'unknown' : 'no';
    return 'no';
  }

  /** `b` is the variable of `for (let i = S; i < E; i++)` around `w`, with per-worker S and E, never assigned in the body. */
  private isPerWorkerRange(b: Binding, w: WriteSite): boolean {
    const loop = this.walk.loops.find((l: LoopSite) => l.lex === b.scope && l.loop.kind === 'for');
    if (!loop) return false;
    const f = loop.node as ts.ForStatement;
    const at = w.node.getStart(this.sf);
    if (at < f.statement.getStart(this.sf) || at >= f.statement.end) return false;
    const init = f.initializer;
    if (!init || init.kind !== SK.VariableDeclarationList || (init.flags & NF.Let) === 0) return false;
    const decls = (init as ts.VariableDeclarationList).declarations;
    if (decls.length !== 1 || decls[0].name.kind !== SK.Identifier || decls[0].name.text !== b.name || !decls[0].initializer) return false;
    const cond = f.condition && skipOuter(f.condition);
    if (!cond || cond.kind !== SK.BinaryExpression) return false;
    const c = cond as ts.BinaryExpression;
    let bound: ts.Expression;
    if (c.operatorToken.kind === SK.LessThanToken && this.isName(c.left, b.name)) bound = c.right;
    else if (c.operatorToken.kind === SK.GreaterThanToken && this.isName(c.right, b.name)) bound = c.left;
    else return false;
    const step = f.incrementor && skipOuter(f.incrementor);
    if (!step || !this.isUnitStep(step, b.name)) return false;
    // the body must not move the variable
    for (const other of this.walk.writes) {
      if (other.node === step) continue;
      const t = skipOuter(other.target);
      if (t.kind === SK.Identifier && (t as ts.Identifier).text === b.name && lookup(other.lex, b.name) === b) return false;
    }
    const perWorker = (x: ts.Expression) => {
      const flags = this.valueFlags(x, loop.lex, 0);
      return (flags & (PER_WORKER | DATA)) !== 0 && (flags & UNKNOWN) === 0;
    };
    return perWorker(decls[0].initializer) && perWorker(bound);
  }

  private isName(e: ts.Expression, name: string): boolean {
    const x = skipOuter(e);
    return x.kind === SK.Identifier && (x as ts.Identifier).text === name;
  }

  /** `i++`, `++i`, `i += 1`, `i = i + 1` */
  private isUnitStep(step: ts.Expression, name: string): boolean {
    if (step.kind === SK.PostfixUnaryExpression || step.kind === SK.PrefixUnaryExpression) {
      const u = step as ts.PostfixUnaryExpression;
      return u.operator === SK.PlusPlusToken && this.isName(u.operand, name);
    }
    if (step.kind !== SK.BinaryExpression) return false;
    const bin = step as ts.BinaryExpression;
    if (!this.isName(bin.left, name)) return false;
    const one = (x: ts.Expression) => {
      const y = skipOuter(x);
      return y.kind === SK.NumericLiteral && (y as ts.NumericLiteral).text === '1';
    };
    if (bin.operatorToken.kind === SK.PlusEqualsToken) return one(bin.right);
    if (bin.operatorToken.kind !== SK.EqualsToken) return false;
    const r = skipOuter(bin.right);
    if (r.kind !== SK.BinaryExpression || (r as ts.BinaryExpression).operatorToken.kind !== SK.PlusToken) return false;
    const rb = r as ts.BinaryExpression;
    return (this.isName(rb.left, name) && one(rb.right)) || (one(rb.left) && this.isName(rb.right, name));
  }

  /** What a value is computed from: PER_WORKER / DATA / UNKNOWN flags (see above). */
  private valueFlags(expr: ts.Node, lex: LexScope, depth: number): number {
    if (depth > MAX_DEPTH) return UNKNOWN;
    const e = ts.isExpression(expr) ? skipOuter(expr) : expr;
    switch (e.kind) {
      case SK.ArrowFunction:
      case SK.FunctionExpression:
        return 0;
      case SK.Identifier: {
        const b = lookup(lex, (e as ts.Identifier).text);
        if (!b) return 0;
        return this.bindingFlags(b, depth + 1);
      }
      case SK.PropertyAccessExpression: {
        const t = resolveExpression(e as ts.Expression, lex);
        if (isWorkerThreads(t, 'workerData') || isWorkerThreads(t, 'threadId')) return PER_WORKER;
        return this.valueFlags((e as ts.PropertyAccessExpression).expression, lex, depth + 1);
      }
      case SK.ElementAccessExpression: {
        const ea = e as ts.ElementAccessExpression;
        const base = this.valueFlags(ea.expression, lex, depth + 1);
        const arg = this.valueFlags(ea.argumentExpression, lex, depth + 1);
        // an element of per-worker data is data, not a per-worker scalar
        return (base & (PER_WORKER | DATA) ? DATA : 0) | (base & UNKNOWN) | arg;
      }
      default: {
        let flags = 0;
        ts.forEachChild(e, (c) => {
          flags |= this.valueFlags(c, lex, depth + 1);
        });
        return flags;
      }
    }
  }

  private bindingFlags(b: Binding, depth: number): number {
    const memo = this.flags.get(b);
    if (memo !== undefined) return memo;
    // a binding computed from itself (`i = i + 1`) adds nothing the rest of its values do not
    this.flags.set(b, 0);
    const f = this.computeBindingFlags(b, depth);
    this.flags.set(b, f);
    return f;
  }

  private computeBindingFlags(b: Binding, depth: number): number {
    const t = b.kind === 'import' || b.kind === 'alias' ? resolveBinding(b) : undefined;
    if (isWorkerThreads(t, 'workerData') || isWorkerThreads(t, 'threadId')) return PER_WORKER;
    if (this.messageParams.has(b)) return PER_WORKER;
    if (b.kind === 'param') return UNKNOWN;
    if (b.kind !== 'alias' && b.kind !== 'local') return 0;
    let flags = 0;
    // `const { start } = msg`: a field of per-worker values is per-worker
    if (b.kind === 'alias' && b.init && b.initScope) flags |= this.valueFlags(b.init, b.initScope, depth + 1);
    const assigned = this.assigned.get(b);
    for (const a of assigned ?? []) if (a) flags |= this.valueFlags(a.value, a.lex, depth + 1);
    if (b.kind === 'local') {
      // a for-of/for-in variable takes its values from what it iterates: per-worker data stays data
      const loop = this.walk.loops.find((l) => l.lex === b.scope && (l.node.kind === SK.ForOfStatement || l.node.kind === SK.ForInStatement));
      if (loop) {
        const f = this.valueFlags((loop.node as ts.ForOfStatement).expression, loop.lex, depth + 1);
        flags |= (f & (PER_WORKER | DATA) ? DATA : 0) | (f & UNKNOWN);
      } else if (!assigned) {
        // declared without a value we can follow (`const [start, end] = workerData.range`, `catch (e)`)
        flags |= UNKNOWN;
      }
    }
    return flags;
  }
}

export function collectSharedMemoryWrites(sf: ts.SourceFile, text: string, walk: WalkResult): StateWrite[] {
  // a shared array is built with `new Int32Array(…)` & co, which most files never call (cheaper to
  // look for than to scan the text); and only files that deal with shared memory can build one over it
  if (!walk.calls.some((c) => c.isNew && TYPED_ARRAYS.has(c.written))) return [];
  if (!text.includes('SharedArrayBuffer') && !text.includes('workerData') && !text.includes('Atomics')) return [];
  return new SharedMemoryPass(sf, walk).run();
}
