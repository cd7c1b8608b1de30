// Which functions handed to threads may run on several threads at the same time (OffloadSite.concurrent),
// and the hand-over targets that are methods of instances of the file's own classes (`obj.work`,
// `Worker().work`, a `threading.Thread` subclass's `run` started through `Worker(…)`).
//
// unsynchronized-shared-state reports an unlocked read-modify-write in a thread only when something
// else can race with it; "the same function runs on several threads at once" is the front end's half
// of that question. For a method the question is about the *instance*: `self.count += 1` races only
// when one object's method runs on several threads, so a receiver created afresh for each hand-over
// (`Worker().run` in a loop, `w = Worker()` inside the loop body) does not make the method concurrent.
// Everything here reads what build.ts already has (scopes, bindings, calls, loop spans): no tree walk.

import type { Comprehension, RawLoop } from './collect';
import type { CallRec } from './resolve';
import { dottedSegments, identEnd, skipTrivia } from './scan';
import type { PyScope, ScopeTable } from './scopes';

/** What the function handed over is bound to, as far as "the same instance" goes. */
export type Receiver =
  /** a plain function, lambda or closure: nothing per instance */
  | { k: 'function' }
  /** `self.work`: the instance of the method that hands it over */
  | { k: 'self' }
  /** `worker.work` with `worker` a module-level instance: one object for the whole program */
  | { k: 'module'; name: string }
  /** `worker.work` with `worker` a local of function `scope`: one object per run of that function */
  | { k: 'local'; name: string; scope: number }
  /** `Worker().work`: a new object at every hand-over */
  | { k: 'fresh' };

export interface HandOver {
  fn: PyScope;
  call: CallRec;
  via: 'thread' | 'process' | undefined;
  receiver: Receiver;
  /** `executor.map(fn, items)`, `pool.imap(…)`: one call, many concurrent runs */
  isMap: boolean;
}

const MAP_METHOD = /(?:^|\.)(?:map|map_async|imap|imap_unordered|starmap|starmap_async)$/;

export function isMapCall(c: CallRec): boolean {
  return MAP_METHOD.test(c.name ?? (c.method === undefined ? '' : `.${c.method}`));
}

/**
 * The scope whose bindings `name` means when read in scope `scopeId` (Python's lookup, as in
 * Resolver: class bodies are visible only to code directly in them; `global` goes to the module),
 * or undefined when nothing in the file binds it.
 */
export function bindingScope(table: ScopeTable, name: string, scopeId: number): PyScope | undefined {
  let first = true;
  for (let s: PyScope | undefined = table.get(scopeId); s; s = s.parent === undefined ? undefined : table.get(s.parent)) {
    if (first || s.kind !== 'class') {
      if (s.globals?.has(name)) return table.get(0).names.has(name) ? table.get(0) : undefined;
      if (s.names.has(name)) return s;
    }
    first = false;
  }
  return undefined;
}

/** Classes of the file by the scope that binds their name. */
export class LocalClasses {
  private byName: Map<string, PyScope[]> | undefined;

  constructor(
    private readonly text: string,
    private readonly table: ScopeTable,
  ) {}

  /** The class statement of this file that `name` means in `scopeId`: the name's only binding is that class. */
  classNamed(name: string, scopeId: number): PyScope | undefined {
    const owner = bindingScope(this.table, name, scopeId);
    const bindings = owner?.names.get(name);
    if (!owner || !bindings || bindings.length !== 1 || bindings[0].k !== 'other') return undefined;
    if (!this.byName) {
      this.byName = new Map();
      for (const s of this.table.scopes) {
        if (s.kind !== 'class' || s.name === undefined) continue;
        const list = this.byName.get(s.name);
        if (list) list.push(s);
        else this.byName.set(s.name, [s]);
      }
    }
    return this.byName.get(name)?.find((c) => c.parent === owner.id);
  }

  /** The class a call instantiates: `Worker(…)` with `Worker` one of the file's classes. */
  instantiated(call: CallRec): PyScope | undefined {
    const parts = dottedSegments(this.text, call.start, call.calleeEnd);
    return parts && parts.length === 1 ? this.classNamed(parts[0], call.scope) : undefined;
  }

  /** The one def named `method` directly in the class body (inherited methods are not seen). */
  method(cls: PyScope, method: string): PyScope | undefined {
    const b = cls.names.get(method);
    return b && b.length === 1 && b[0].k === 'def' ? this.table.get(b[0].scope) : undefined;
  }

  /**
   * `obj.method` where every binding of `obj` is `obj = Cls(…)` of one class of this file: the method
   * and whose object it is. Parameters, attributes and names bound to anything else are not followed.
   */
  instanceMethod(objName: string, method: string, scopeId: number): { fn: PyScope; receiver: Receiver } | undefined {
    const owner = bindingScope(this.table, objName, scopeId);
    if (!owner || owner.kind === 'class') return undefined;
    let cls: PyScope | undefined;
    for (const b of owner.names.get(objName) ?? []) {
      if (b.k === 'none') continue;
      if (b.k !== 'value') return undefined;
      const made = this.instantiated(b.call);
      if (!made || (cls && cls !== made)) return undefined;
      cls = made;
    }
    const fn = cls && this.method(cls, method);
    if (!fn) return undefined;
    return { fn, receiver: owner.kind === 'module' ? { k: 'module', name: objName } : { k: 'local', name: objName, scope: owner.id } };
  }
}

/**
 * The method a hand-over argument names through an instance of a class of this file: `obj.work`
 * (see LocalClasses.instanceMethod) or `Worker(…).work`.
 */
export function instanceMethodAt(
  text: string,
  classes: LocalClasses,
  start: number,
  end: number,
  scope: number,
  callAt: (start: number) => CallRec | undefined,
): { fn: PyScope; receiver: Receiver } | undefined {
  const parts = dottedSegments(text, start, end);
  if (parts) return parts.length === 2 ? classes.instanceMethod(parts[0], parts[1], scope) : undefined;
  const made = callAt(start);
  if (!made || made.end >= end) return undefined;
  const dot = skipTrivia(text, made.end, end);
  if (text.charCodeAt(dot) !== 46 /* . */) return undefined;
  const nameStart = skipTrivia(text, dot + 1, end);
  if (identEnd(text, nameStart) !== end) return undefined;
  const cls = classes.instantiated(made);
  const fn = cls && classes.method(cls, text.slice(nameStart, end));
  return fn ? { fn, receiver: { k: 'fresh' } } : undefined;
}

/** Does the text of a loop bind `name` (its header, an assignment, `with … as name`)? Then each pass has its own object. */
function boundIn(text: string, start: number, end: number, name: string): boolean {
  const body = text.slice(start, end);
  const esc = name.replace(/[$]/g, '\\$&');
  return new RegExp(`(?<![\\w.])${esc}\\s*(?::[^=\\n]*)?=(?!=)|\\bas\\s+${esc}\\b|\\bfor\\s[^\\n]*?(?<![\\w.])${esc}\\b[^\\n]*?\\bin\\b`, 'u').test(body);
}

/** Is the function itself (or a function nested in it) making the hand-over? A self-rescheduling Timer runs one after the other. */
function fromItself(table: ScopeTable, fn: PyScope, scopeId: number): boolean {
  for (let s: number | undefined = scopeId; s !== undefined; s = table.get(s).parent) if (s === fn.id) return true;
  return false;
}

/**
 * Sets `offload.concurrent` on functions handed to threads that may run on several threads at once:
 * handed over in a loop or comprehension, through a pool's `map`, from code that itself runs many
 * times (an `async def`, another offloaded function), or at two or more sites — each time on the same
 * instance for a method. Process hand-overs do not count: a process has its own memory.
 */
export function markConcurrent(text: string, table: ScopeTable, handOvers: readonly HandOver[], loops: readonly RawLoop[], comprehensions: readonly Comprehension[]): void {
  if (handOvers.length === 0) return;
  const byFn = new Map<PyScope, HandOver[]>();
  for (const h of handOvers) {
    if (h.via === 'process') continue;
    const list = byFn.get(h.fn);
    if (list) list.push(h);
    else byFn.set(h.fn, [h]);
  }
  for (const [fn, sites] of byFn) {
    if (!fn.offload || fn.offload.via === 'process') continue;
    const shared = new Map<string, number>();
    let concurrent = false;
    for (const h of sites) {
      const r = h.receiver;
      if (h.isMap) {
        // one receiver object, evaluated once, runs for every item
        concurrent = true;
        break;
      }
      const caller = table.get(h.call.scope);
      const loop = enclosingLoop(table, h.call, loops, comprehensions);
      if (loop && r.k !== 'fresh' && !(r.k === 'local' && boundIn(text, loop.start, loop.end, r.name))) {
        concurrent = true;
        break;
      }
      const own = fromItself(table, fn, h.call.scope);
      if (own) continue;
      if ((caller.isAsync || caller.offloadReason !== undefined) && r.k !== 'fresh' && r.k !== 'local') {
        concurrent = true;
        break;
      }
      const key = r.k === 'fresh' ? undefined : r.k === 'local' ? `local:${r.scope}:${r.name}` : r.k === 'module' ? `module:${r.name}` : r.k;
      if (key !== undefined) shared.set(key, (shared.get(key) ?? 0) + 1);
    }
    if (!concurrent) for (const n of shared.values()) if (n >= 2) concurrent = true;
    if (concurrent) fn.offload.concurrent = true;
  }
}

/** A loop statement or comprehension of the call's own scope that contains the call. */
function enclosingLoop(
  table: ScopeTable,
  call: CallRec,
  loops: readonly RawLoop[],
  comprehensions: readonly Comprehension[],
): { start: number; end: number } | undefined {
  const scope = table.get(call.scope);
  const inside = (l: { start: number; end: number }) => l.start < call.start && call.end <= l.end && l.start >= scope.start;
  return loops.find(inside) ?? comprehensions.find(inside);
}
